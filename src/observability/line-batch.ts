/**
 * Log lines of one event-loop turn, handed to the OS in one write.
 *
 * Node writes to a pipe or a file synchronously on Linux (process.stdout), one system call per
 * log line; under load the request log alone made one such call per request, about a twentieth
 * of what a busy webhook or push endpoint costs (docs/benchmarks.md, sources and receive). Here
 * the lines queue until the turn ends (setImmediate) or 64 KiB are waiting, and whatever is
 * still queued when the process exits — a crash included — is written synchronously on 'exit'.
 */
const FLUSH_AT_BYTES = 64 * 1024;

export interface LineSink {
  write(line: string): void;
}

class LineBatch implements LineSink {
  private lines: string[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly target: NodeJS.WriteStream) {}

  write(line: string): void {
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= FLUSH_AT_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    this.target.write(text);
  };
}

let sinks: { stdout: LineBatch; stderr: LineBatch } | undefined;

/** The process's two batched sinks (one per stream, so lines keep their order within a stream). */
export function batchedStdio(): { stdout: LineSink; stderr: LineSink } {
  if (!sinks) {
    const s = { stdout: new LineBatch(process.stdout), stderr: new LineBatch(process.stderr) };
    process.once('exit', () => {
      s.stdout.flush();
      s.stderr.flush();
    });
    sinks = s;
  }
  return sinks;
}
