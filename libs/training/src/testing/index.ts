// @atelier/training/testing: test helpers for other packages' tests. Production code never imports this entry.
export { checkerboard, checkerboardDataset, meanImage, meanSquaredError } from './checkerboard.js';
