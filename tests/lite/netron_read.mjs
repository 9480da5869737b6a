// netron_read.mjs NETRON_DIR MODEL.tflite: open a model with Netron's own readers (the `netron` PyPI
// package's view.js ModelFactoryService and tflite.js, no browser) and print, as one line of JSON, what Netron
// shows: the format, the graph's inputs and outputs, every node (its type and the tensor indices it reads
// and writes) and every tensor it meets (name, dtype, shape, quantization, constant bytes in hex).
// Used by tests/lite/test_tflite_netron.py; exits 1 with the message when Netron cannot open the file.
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';

const [dir, file] = process.argv.slice(2);
const load = (name) => import(pathToFileURL(path.join(dir, name)).href);
const view = await load('view.js');
const base = await load('base.js');
const host = {
  asset: async (name) => fs.readFileSync(path.join(dir, name), 'utf-8'),
  require: async (id) => load(`${id}.js`),
  exception: (error) => { throw error; },
};
const context = {
  identifier: path.basename(file),
  stream: new base.BinaryStream(new Uint8Array(fs.readFileSync(file))),
  asset: host.asset,
  require: host.require,
  fetch: async () => { throw new Error('a .tflite file names no other files'); },
  error: (error) => { throw error; },
};
const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const tensors = {};
const seen = (value) => {
  const q = value.quantization;
  tensors[value.identifier] = {
    name: value.name.split('\n')[0],
    dtype: value.type.dataType,
    shape: value.type.shape.dimensions.map(Number),
    scale: q && q.scale ? Array.from(q.scale) : null,
    zero_point: q && q.offset ? Array.from(q.offset, Number) : null,
    data: value.initializer && value.initializer.values ? hex(value.initializer.values) : null,
  };
  return Number(value.identifier);
};
const ids = (args) => args.flatMap((a) => a.value.map(seen));
try {
  const model = await new view.ModelFactoryService(host).open(context);
  const graph = model.modules[0];
  const nodes = graph.nodes.map((n) => ({ type: n.type.name, inputs: ids(n.inputs), outputs: ids(n.outputs) }));
  console.log(JSON.stringify({
    format: model.format, inputs: ids(graph.inputs), outputs: ids(graph.outputs), nodes, tensors,
  }));
} catch (error) {
  console.error(`netron: ${error.message}`);
  process.exit(1);
}
