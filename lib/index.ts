// Public entry point of bertnode.
export {};
