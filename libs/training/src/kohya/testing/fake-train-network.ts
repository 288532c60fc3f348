// The source of a stand-in for sd-scripts' train_network.py, run by Node as a real child process:
// it reads the generated --config_file, prints kohya-like output (tqdm bars on stderr with \r,
// "epoch" and "saving checkpoint" lines on stdout), writes step checkpoints, --save_state folders,
// sample images and the final LoRA (copied from FAKE_LORA). FAKE_MODE picks a failure to act out.
export const FAKE_TRAIN_NETWORK = String.raw`
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const configPath = process.argv[process.argv.indexOf('--config_file') + 1];
const config = {};
for (const line of readFileSync(configPath, 'utf8').split('\n')) {
  const match = /^([A-Za-z0-9_]+) = (.*)$/.exec(line);
  if (match) config[match[1]] = JSON.parse(match[2]);
}
const mode = process.env.FAKE_MODE ?? 'ok';
const out = config.output_dir;
const name = config.output_name;
const max = config.max_train_steps;
const pad = (value, width) => String(value).padStart(width, '0');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const listing = (dir) => readdirSync(dir, { recursive: true }).map(String).sort();

let startedFrom = 0;
if (config.resume) startedFrom = JSON.parse(readFileSync(join(config.resume, 'train_state.json'), 'utf8')).current_step;
if (config.initial_step) startedFrom = config.initial_step;
if (process.env.FAKE_RECORD) {
  writeFileSync(process.env.FAKE_RECORD, JSON.stringify({ argv: process.argv.slice(1), config, train: listing(config.train_data_dir), reg: config.reg_data_dir ? listing(config.reg_data_dir) : null, resume: config.resume ? listing(config.resume) : null }));
}
console.log('running training / 学習開始');
console.log('  num train images * repeats / 学習画像の数×繰り返し回数: 4');

if (mode === 'hang') {
  process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
  process.stderr.write('\rsteps:   0%|          | 1/' + max + ' [00:00<?, ?it/s, avr_loss=0.5]');
  setInterval(() => {}, 1000);
} else if (mode === 'fail') {
  process.stderr.write('\rsteps:   0%|          | 1/' + max + ' [00:00<00:01, 9.00it/s, avr_loss=0.5]');
  console.error('\nTraceback (most recent call last):');
  console.error('  File "train_network.py", line 1, in <module>');
  console.error('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB');
  process.exit(1);
} else {
  const remaining = max - startedFrom;
  const perEpoch = 4;
  mkdirSync(out, { recursive: true });
  for (let step = 1; step <= remaining; step++) {
    if ((step - 1) % perEpoch === 0) console.log('\nepoch ' + (Math.floor((step - 1) / perEpoch) + 1) + '/' + Math.ceil(remaining / perEpoch) + '\n');
    await sleep(2);
    const loss = (1 / (startedFrom + step)).toFixed(4);
    const percent = String(Math.floor((100 * step) / remaining)).padStart(3);
    process.stderr.write('\rsteps: ' + percent + '%|███       | ' + step + '/' + remaining + ' [00:0' + (step % 10) + '<00:01,  9.99it/s, avr_loss=' + loss + ']');
    if (config.sample_every_n_steps && step % config.sample_every_n_steps === 0) {
      mkdirSync(join(out, 'sample'), { recursive: true });
      writeFileSync(join(out, 'sample', name + '_' + pad(step, 6) + '_00_20250101120000_42.png'), 'png');
    }
    if (config.save_every_n_steps && step % config.save_every_n_steps === 0 && step < remaining) {
      const file = join(out, name + '-step' + pad(step, 8) + '.safetensors');
      console.log('\nsaving checkpoint: ' + file);
      copyFileSync(process.env.FAKE_LORA, file);
      if (config.save_state) {
        console.log('saving state at step ' + step);
        const state = join(out, name + '-step' + pad(step, 8) + '-state');
        mkdirSync(state, { recursive: true });
        writeFileSync(join(state, 'train_state.json'), JSON.stringify({ current_epoch: 1, current_step: startedFrom + step }));
        writeFileSync(join(state, 'optimizer.bin'), Buffer.alloc(64, step));
      }
    }
  }
  process.stderr.write('\n');
  const final = join(out, name + '.safetensors');
  console.log('\nsaving checkpoint: ' + final);
  if (mode === 'garbage') writeFileSync(final, 'definitely not safetensors');
  else if (mode !== 'nofile') copyFileSync(process.env.FAKE_LORA, final);
  console.log('model saved.');
  if (!existsSync(out)) process.exit(3);
}
`;
