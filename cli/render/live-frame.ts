// A block of lines redrawn in place on a terminal (`plateau watch`): each draw moves the
// cursor back up over the previous frame and clears it. Owns no timer: the caller draws.
import type { ProgressSink } from './progress-bar.js';

const CLEAR_BELOW = '\u001b[J';

function cursorUp(lines: number): string {
  return lines > 0 ? `\u001b[${lines}F` : '\r';
}

export class LiveFrame {
  private drawnLines = 0;

  constructor(private readonly sink: ProgressSink) {}

  draw(lines: readonly string[]): void {
    this.sink.write(`${cursorUp(this.drawnLines)}${CLEAR_BELOW}${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }
}
