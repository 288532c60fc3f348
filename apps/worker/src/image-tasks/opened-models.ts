import type { LocatedOnnxModel } from '@atelier/registry';

/**
 * Sessions kept open across tasks, per model folder and content: a registry model re-imported
 * under the same name (new sha256) opens afresh. A failed open is not kept (it may be fixed).
 */
export class OpenedModels<T> {
  private readonly opened = new Map<string, Promise<T>>();

  get(located: LocatedOnnxModel, open: (located: LocatedOnnxModel) => Promise<T>): Promise<T> {
    const key = `${located.dir}#${(located.manifest?.files ?? []).map((file) => file.sha256).join(',')}`;
    let pending = this.opened.get(key);
    if (!pending) {
      pending = open(located);
      pending.catch(() => this.opened.delete(key));
      this.opened.set(key, pending);
    }
    return pending;
  }
}
