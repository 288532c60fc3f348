export { createNoise, randomSeed } from './noise.js';
export { Mt19937 } from './mt19937.js';
