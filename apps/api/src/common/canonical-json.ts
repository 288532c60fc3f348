type Task = { readonly text: string } | { readonly value: unknown };

/**
 * JSON text in which every object's keys are sorted, so two bodies that differ only in key order
 * serialize the same (arrays keep their order: it carries meaning). Iterative, not recursive: a
 * request body nested a hundred thousand levels deep must not overflow the stack (a 500).
 * Input is a parsed JSON body: no functions, no `undefined`, no `toJSON`.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const tasks: Task[] = [{ value }];
  while (tasks.length > 0) {
    const task = tasks.pop() as Task;
    if ('text' in task) {
      out.push(task.text);
      continue;
    }
    const current = task.value;
    if (current === null || typeof current !== 'object') {
      out.push(JSON.stringify(current) ?? 'null');
      continue;
    }
    // Pushed in reverse: the stack pops the opening bracket first.
    if (Array.isArray(current)) {
      tasks.push({ text: ']' });
      for (let index = current.length - 1; index >= 0; index--) {
        tasks.push({ value: current[index] as unknown });
        if (index > 0) tasks.push({ text: ',' });
      }
      tasks.push({ text: '[' });
      continue;
    }
    const entries = Object.entries(current as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    tasks.push({ text: '}' });
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, nested] = entries[index];
      tasks.push({ value: nested }, { text: `${JSON.stringify(key)}:` });
      if (index > 0) tasks.push({ text: ',' });
    }
    tasks.push({ text: '{' });
  }
  return out.join('');
}
