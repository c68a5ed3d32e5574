// The CLI's one progress line: the library's Progress events drawn on stderr, only when stderr is
// a terminal (piped output and logs get nothing, so --json and scripts stay clean), and never
// with --quiet (which sets CMV3_QUIET=1). Every command's progress goes through it. Hand-written rather than a dependency (cli-progress, ora): one line redrawn
// with \r is all it does, and the package stays at four runtime dependencies.
import type { Progress } from '../api/common.js';
import { formatDuration } from '../train/time-to.js';

export interface ProgressLine {
  /** redraws the line; `detail` follows the counts (loss, speed...) */
  update: (p: Progress, detail?: string) => void;
  /** clears the line (call when the step ends, also on error) */
  done: () => void;
}

const STAGE_UNITS: Record<string, string> = { calibrate: 'calibration runs', evaluate: 'images', testing: 'test images' };

export function progressBar(stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr): ProgressLine {
  if (!stream.isTTY || process.env.CMV3_QUIET === '1') return { update: () => {}, done: () => {} };
  let drawn = false, last = 0;
  return {
    update: (p, detail) => {
      const now = performance.now();
      if (p.done < p.total && now - last < 100) return; // at most 10 redraws a second
      last = now;
      const w = 24, filled = Math.round((p.done / Math.max(1, p.total)) * w);
      const eta = p.etaSeconds === undefined ? '' : `  ETA ${formatDuration(p.etaSeconds)}`;
      const unit = STAGE_UNITS[p.stage] ? ` ${STAGE_UNITS[p.stage]}` : '';
      stream.write(`\r\x1b[K${p.stage} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${p.done}/${p.total}${unit}${detail ? ` ${detail}` : ''}${eta}`);
      drawn = true;
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
