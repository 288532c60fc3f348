/**
 * Stacks per-prompt rows into a batch: with guidance [negative × batch, positive × batch], else
 * [positive × batch], the order diffusers uses and the guidance step expects.
 */
export function batchRows(positive: Float32Array, negative: Float32Array | undefined, batch: number): Float32Array {
  const rows = negative ? [negative, positive] : [positive];
  const out = new Float32Array(rows.length * batch * positive.length);
  rows.forEach((row, rowIndex) => {
    for (let b = 0; b < batch; b++) out.set(row, (rowIndex * batch + b) * positive.length);
  });
  return out;
}
