// The --output folder of a training run. Its checkpoints/ belong to one run: starting a new run there would mix two
// runs' checkpoints (and the first save would prune the other run's), so it is refused unless the user says which
// they mean: --resume (continue that run) or --overwrite (delete its checkpoints and frozen-layer cache, start over).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { UsageError } = require('./options');

// Creates the folder when needed and returns its checkpoints/ path.
function prepareOutput(output, { resume, overwrite }) {
  if (resume && overwrite) throw new UsageError('--resume continues the run in --output and --overwrite deletes it: give one of them');
  const checkpointDir = path.join(output, 'checkpoints');
  const held = fs.existsSync(checkpointDir) && fs.readdirSync(checkpointDir).length > 0;
  if (held && !resume) {
    if (!overwrite) {
      throw new UsageError(`${output} holds another run's checkpoints (${checkpointDir}); add --resume to continue that run, ` +
        'or --overwrite to delete them and start over, or choose another --output');
    }
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    fs.rmSync(path.join(output, 'frozen-cache'), { recursive: true, force: true });
  }
  fs.mkdirSync(output, { recursive: true });
  return checkpointDir;
}

module.exports = { prepareOutput };
