// The test-only addon (native/test-addon: the engine's gradchecks and the raw GEMM kernels), built by
// global-setup.ts, typed exactly as test_addon.cpp exports it. The production addon has none of this.
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: Float32Array;
  lda: number;
  b: Float32Array;
  ldb: number;
  beta: number;
  c: Float32Array;
  ldc: number;
  isa?: string;
  // The operand handed to the GEMM as bf16 storage (rounded to nearest even by the binding), as gemmBf16Operands
  // reads a training activation kept in bf16; sgemm only, not transposed, a family with bf16 packers ('amx').
  bf16A?: boolean;
  bf16B?: boolean;
}

export interface BatchedGemmArgs extends GemmArgs {
  strideA: number;
  strideB: number;
  strideC: number;
  batch: number;
}

export interface KernelsBinding {
  sgemm(args: GemmArgs): void;
  sgemmStridedBatched(args: BatchedGemmArgs): void;
  gemmIsas(): string[];
  gemmBf16Isas(): string[];
  gemmBf16Available(): boolean;
  gemmActiveIsa(): string;
  gemmActiveIsa(precision: 'fp32' | 'bf16'): string | null;
}

export interface GradcheckResult {
  name: string;
  maxAbsErr: number;
  maxRelErr: number;
  tolerance: number;
  passed: boolean;
}

export interface AttentionPathsArgs {
  B: number;
  NH: number;
  T: number;
  D: number;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dContext: Float32Array;
  mask: Int32Array;
  p: number;
  seed: number;
  step: number;
  site: number;
  precision: 'fp32' | 'bf16';
  repeats?: number;
}

export interface AttentionResults {
  context: Float32Array;
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
}

// The arguments both Linear kernel bindings take: x [m, k], weights w [n, k], an optional bias [n], and the pool's
// thread count and the repeat count of one call.
interface LinearKernelArgs {
  x: Float32Array;
  m: number;
  k: number;
  w: Float32Array;
  n: number;
  bias?: Float32Array;
  threads?: number;
  repeat?: number;
}

// native/test-addon/int8_binding.h: y [m, n] = the int8 Linear of x [m, k] with weights w [n, k].
export interface Int8LinearArgs extends LinearKernelArgs {
  family?: string;
}

export interface Int8Binding {
  linear(args: Int8LinearArgs): Float32Array;
  families(): string[];
  activeFamily(): string;
}

// native/test-addon/linear_bf16_binding.h: the bf16-activation Linear of x [m, k] (rounded to bf16) with w [n, k].
export interface LinearBf16Args extends LinearKernelArgs {
  residual?: Float32Array;
  gelu?: boolean;
  outputs?: 'fp32' | 'bf16' | 'both';
}

export interface LinearBf16Binding {
  supported(): boolean;
  run(args: LinearBf16Args): { y?: Float32Array; yBf16?: Float32Array };
}

export interface TestAddon {
  gradcheckOps(): Promise<GradcheckResult[]>;
  kernels: KernelsBinding;
  attentionPaths(args: AttentionPathsArgs): { composed: AttentionResults; fused: AttentionResults;
    fusedBf16?: AttentionResults;
    seconds?: Record<'composedForward' | 'composedBackward' | 'fusedForward' | 'fusedBackward',
      { cpu: number; wall: number }> };
  int8: Int8Binding;
  linearBf16: LinearBf16Binding;
}

export function loadTestAddon(): TestAddon {
  const file = process.env.BERTNODE_TEST_ADDON;
  if (!file) {
    throw new Error(`the test addon was not built: ${process.env.BERTNODE_TEST_ADDON_BUILD_ERROR ??
      'test/test-addon/global-setup.ts did not run (run the tests through jest.config.js)'}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as TestAddon;
}
