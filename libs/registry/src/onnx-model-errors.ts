/** Why an ONNX model import was refused: `invalid_model` (the files or facts), `name_taken` (a public name of another tenant). */
export type OnnxModelImportErrorCode = 'invalid_model' | 'name_taken';

export class OnnxModelImportError extends Error {
  constructor(
    readonly code: OnnxModelImportErrorCode,
    /** The request field at fault (`file`, `source`, `base_family`, `scale`, `name`…). */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'OnnxModelImportError';
  }
}
