import { readRepoFile } from './repo.js';

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** A Dockerfile split into stages; comments dropped, `\` continuations joined. */
export function readDockerfile(relative: string): Stage[] {
  const lines = readRepoFile(relative).split('\n');
  const logical: string[] = [];
  let pending = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#')) continue; // comments, also between continuation lines
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    if (full) logical.push(full);
  }
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const words = rest.filter((word) => !word.startsWith('--'));
      const as = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ from: words[0], name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${relative}: ${instruction.keyword} before FROM`);
    stage.instructions.push(instruction);
  }
  return stages;
}

export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

/** The `uid` of the stage's last USER instruction (`USER 1000:1000` → 1000), if numeric. */
export function numericUser(stage: Stage): number | undefined {
  const user = instructions(stage, 'USER').at(-1);
  const match = user === undefined ? null : /^(\d+)(?::\d+)?$/.exec(user);
  return match ? Number(match[1]) : undefined;
}
