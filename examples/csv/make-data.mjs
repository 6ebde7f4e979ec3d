// Writes train.csv and validation.csv: a deterministic stand-in for a tabular regression task
// (predicting a building's heating load from eight physical features). Rerun to regenerate:
//   node examples/csv/make-data.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let state = 20241125;
const random = () => {
  // mulberry32
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

const header = ['compactness', 'surface_area', 'wall_area', 'roof_area', 'height', 'orientation', 'glazing_area', 'glazing_distribution', 'heating_load'];
function row() {
  const compactness = 0.62 + 0.36 * random();
  const surface = 515 + 290 * random();
  const wall = 245 + 170 * random();
  const roof = 110 + 110 * random();
  const height = random() < 0.5 ? 3.5 : 7;
  const orientation = 2 + Math.floor(4 * random());
  const glazing = [0, 0.1, 0.25, 0.4][Math.floor(4 * random())];
  const distribution = Math.floor(6 * random());
  const load =
    6 + 28 * (compactness - 0.6) ** 1.5 + 0.012 * (surface - 500) + 0.025 * (wall - 240) - 0.03 * (roof - 110) + 2.6 * height +
    22 * glazing * (1 + 0.08 * distribution) + 0.4 * Math.sin(orientation) + 1.2 * gaussian();
  const fixed = (value, digits) => Number(value.toFixed(digits));
  return [fixed(compactness, 3), fixed(surface, 1), fixed(wall, 1), fixed(roof, 1), height, orientation, glazing, distribution, fixed(load, 2)];
}
const table = (n) => [header.join(','), ...Array.from({ length: n }, () => row().join(','))].join('\n') + '\n';
writeFileSync(join(here, 'train.csv'), table(3000));
writeFileSync(join(here, 'validation.csv'), table(768));
