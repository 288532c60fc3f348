/**
 * The solver order of each step of a single-step DPM-Solver run (diffusers'
 * DPMSolverSinglestepScheduler.get_order_list): repeating groups 1, 2(, 3), with the tail made of
 * lower orders when `lower_order_final` is set, and a first-order last step when the run ends at
 * σ = 0 (a higher-order jump to σ = 0 is unstable).
 *
 * diffusers also turns `lower_order_final` on by itself when the step count is not a multiple of
 * the order, or when the final σ is 0; that is folded in here.
 */
export interface OrderListRequest {
  readonly steps: number;
  readonly solverOrder: number;
  readonly lowerOrderFinal: boolean;
  readonly finalSigmaZero: boolean;
}

function repeated(pattern: readonly number[], times: number): number[] {
  return Array.from({ length: Math.max(0, times) }, () => pattern).flat();
}

export function singlestepOrderList({ steps, solverOrder, lowerOrderFinal, finalSigmaZero }: OrderListRequest): Uint8Array {
  const lower = lowerOrderFinal || steps % solverOrder !== 0 || finalSigmaZero;
  let orders: number[];
  if (solverOrder === 1) {
    orders = repeated([1], steps);
  } else if (!lower) {
    orders = repeated(solverOrder === 3 ? [1, 2, 3] : [1, 2], steps / solverOrder);
  } else if (solverOrder === 3) {
    const groups = Math.floor(steps / 3);
    if (steps % 3 === 0) orders = [...repeated([1, 2, 3], groups - 1), 1, 2, 1];
    else if (steps % 3 === 1) orders = [...repeated([1, 2, 3], groups), 1];
    else orders = [...repeated([1, 2, 3], groups), 1, 2];
  } else {
    const groups = Math.floor(steps / 2);
    orders = steps % 2 === 0 ? [...repeated([1, 2], groups - 1), 1, 1] : [...repeated([1, 2], groups), 1];
  }
  if (finalSigmaZero && orders.length > 0) orders[orders.length - 1] = 1;
  return Uint8Array.from(orders);
}
