// Everything fit writes to or reads from `checkpointDir`, so that the loop in fit.ts only says when:
// the best weights (`model.safetensors`, a plain state dict loadable anywhere), the resume checkpoint
// (`checkpoint.safetensors`, see resume-state.ts), `metrics.jsonl` (one JSON line per epoch) and the
// learning curve `curve.svg`. Without a directory every write is a no-op, and a resume path given
// explicitly is still read. Files are the platform's: a directory in Node, `opfs:dir` in a browser.
import { CheckpointError } from '../../errors.js';
import { save } from '../../io/index.js';
import { platform } from '../../platform/platform.js';
import type { Module } from '../../nn/module.js';
import { writeAtomic } from '../checkpoint.js';
import { learningCurveSvg } from '../curve.js';
import type { EpochRecord, History } from './history.js';
import { loadResumeState, saveResumeState, type FitParts, type ResumeState } from './resume-state.js';

export class Checkpointer {
  private constructor(
    readonly files: History['files'],
    private readonly parts: FitParts,
  ) {}

  /** Create `dir` (when given) and name the files in it. */
  static async open(dir: string | undefined, parts: FitParts): Promise<Checkpointer> {
    const files: History['files'] = {};
    if (dir) {
      const { mkdir, join } = platform().files;
      await mkdir(dir);
      files.model = join(dir, 'model.safetensors');
      files.checkpoint = join(dir, 'checkpoint.safetensors');
      files.metrics = join(dir, 'metrics.jsonl');
      files.curve = join(dir, 'curve.svg');
    }
    return new Checkpointer(files, parts);
  }

  /** The checkpoint `resume` names: a path, or true for this directory's (fit checks that there is one). */
  resumePath(resume: string | boolean | undefined): string | null {
    return resume === true ? this.files.checkpoint! : typeof resume === 'string' ? resume : null;
  }

  /**
   * Load the resume checkpoint at `path` into the parts; `rebuild(epochs)` replays the first
   * `epochs` epoch starts (gradual unfreezing) before the optimizer state is loaded.
   */
  async resume(path: string, rebuild: (epochs: number) => void): Promise<ResumeState> {
    let bytes: Uint8Array;
    try {
      bytes = await platform().files.read(path);
    } catch (e) {
      throw new CheckpointError(
        `fit: cannot read the resume checkpoint '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
    return loadResumeState(bytes, path, this.parts, rebuild);
  }

  /** Start metrics.jsonl with the finished epochs' lines (a kill between writing a line and the checkpoint would repeat one). */
  async startMetrics(done: readonly EpochRecord[]): Promise<void> {
    if (this.files.metrics)
      await platform().files.write(this.files.metrics, done.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  async appendMetrics(rec: EpochRecord): Promise<void> {
    if (this.files.metrics) await platform().files.append(this.files.metrics, `${JSON.stringify(rec)}\n`);
  }

  /** Save the model's weights as the best so far. */
  async saveBest(model: Module): Promise<void> {
    if (!this.files.model) return;
    const sd = model.stateDict();
    try {
      await save(sd, this.files.model);
    } finally {
      for (const t of Object.values(sd)) t.dispose();
    }
  }

  /** Save the resume checkpoint: after `state.epoch` epochs, or inside the next one at `state.position`. */
  async saveResume(state: ResumeState): Promise<void> {
    if (this.files.checkpoint) await saveResumeState(this.files.checkpoint, this.parts, state);
  }

  async writeCurve(epochs: readonly EpochRecord[]): Promise<void> {
    if (this.files.curve)
      await writeAtomic(this.files.curve, learningCurveSvg(epochs as unknown as Record<string, unknown>[]));
  }
}
