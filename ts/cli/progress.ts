/**
 * A one-line progress display on standard error, drawn only when it is a terminal. The power
 * method's length is unknown in advance; the bar shows how far log(residual) has come towards
 * log(epsilon).
 */
import type { PowerProgress } from '../power.js';

export interface Progress {
  phase(text: string): void;
  iteration(progress: PowerProgress): void;
  done(): void;
}

const WIDTH = 24;

export function createProgress(stream: NodeJS.WriteStream, epsilon: number): Progress {
  if (!stream.isTTY) return { phase() {}, iteration() {}, done() {} };
  let drawn = false;
  const draw = (text: string) => {
    stream.write(`\r\x1b[2K${text}`);
    drawn = true;
  };
  return {
    phase(text) {
      draw(`jsync: ${text}`);
    },
    iteration({ iteration, residual, maxIters }) {
      const fraction = Math.min(1, Math.max(0, Math.log(residual) / Math.log(epsilon)));
      const filled = Math.round(fraction * WIDTH);
      draw(`jsync: [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] iteration ${iteration}/${maxIters}, residual ${residual.toExponential(2)} → ${epsilon}`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
