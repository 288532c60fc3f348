/** A safetensors file or tensor that breaks the format; `tensor` names the culprit when there is one. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';

  constructor(
    readonly reason: string,
    readonly tensor?: string,
  ) {
    super(tensor === undefined ? `safetensors: ${reason}` : `safetensors: tensor "${tensor}": ${reason}`);
  }
}
