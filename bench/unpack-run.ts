// Unpacks one layer file with applyLayer, for bench/unpack-bench.sh: node unpack-run.js LAYER DEST [overlay|vfs]

import { createReadStream } from 'node:fs';
import { applyLayer } from '../src/image/unpack/apply-layer.js';

const [layer, dest, mode = 'overlay'] = process.argv.slice(2);
if (layer === undefined || dest === undefined || (mode !== 'overlay' && mode !== 'vfs')) {
  process.stderr.write('usage: unpack-run LAYER DEST [overlay|vfs]\n');
  process.exit(2);
}
const r = await applyLayer(createReadStream(layer, { highWaterMark: 1 << 20 }), dest, { whiteoutMode: mode });
if (process.env.UNPACK_VERBOSE === '1') process.stdout.write(`${JSON.stringify(r)}\n`);
