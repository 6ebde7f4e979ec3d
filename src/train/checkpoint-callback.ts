// Saves the trial's checkpoint after every K-th epoch. Runs after the plateau and progress
// callbacks, so the saved learning rate is the next epoch's and the history includes this one.
import { Callback } from '@tensorflow/tfjs-layers';

export class CheckpointCallback extends Callback {
  constructor(
    private readonly everyEpochs: number,
    private readonly totalEpochs: number,
    /** True when training is stopping (diverged, cancelled): nothing to resume then. */
    private readonly stopping: () => boolean,
    private readonly save: (epochsDone: number) => Promise<void>,
  ) {
    super();
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    const done = epoch + 1;
    if (done % this.everyEpochs !== 0 || done >= this.totalEpochs || this.stopping()) return;
    await this.save(done);
  }
}
