/**
 * One worker thread behind a small request/response interface, the same in Node
 * (node:worker_threads) and in browsers (module Web Workers). Every request gets an id; the
 * worker answers { id, result } or { id, error }. A worker that crashes or exits rejects
 * every pending request, so an error in one worker becomes an error of the run, never a hang.
 */

export interface Lane {
  call<T = unknown>(method: string, args: unknown, transfer?: Transferable[]): Promise<T>;
  /** Stops the worker now (also mid-computation); pending requests reject. Idempotent. */
  terminate(): Promise<void>;
  /** Whether this worker keeps a Node process alive (an idle, prewarmed one should not). No-op in browsers. */
  keepAlive(on: boolean): void;
}

interface Port {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  terminate(): Promise<unknown> | void;
  ref?(): void;
  unref?(): void;
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

/** Whether this runs in Node (node:worker_threads) rather than a browser (Web Workers). */
export const isNode = typeof (globalThis as any).process?.versions?.node === 'string';

/** The worker script next to this module (worker.ts under tsx, worker.js once compiled). */
export function workerUrl(base: string, name: string): URL {
  const extension = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, base);
}

/**
 * A .ts worker exists only when running from source (the tests, under tsx): Node does not
 * hand a worker the parent's loader hooks, so a one-line module registers tsx first.
 */
function throughTsx(url: URL): URL {
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(url.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export async function startLane(url: URL, label: string): Promise<Lane> {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(failure);
    pending.clear();
  };
  const onMessage = (message: { id: number; result?: unknown; error?: { message: string; name?: string } }) => {
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    if (message.error) {
      const error = new Error(`${label}: ${message.error.message}`);
      if (message.error.name) error.name = message.error.name;
      entry.reject(error);
    } else {
      entry.resolve(message.result);
    }
  };

  let port: Port;
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(url.pathname.endsWith('.ts') ? throughTsx(url) : url);
    worker.on('message', onMessage);
    worker.on('error', (error: Error) => failAll(new Error(`${label} failed: ${error.message}`)));
    worker.on('exit', (code: number) => failAll(new Error(`${label} exited (code ${code})`)));
    port = worker as unknown as Port;
  } else {
    const worker = new Worker(url, { type: 'module' });
    worker.onmessage = (event: MessageEvent) => onMessage(event.data);
    worker.onerror = (event: ErrorEvent) => failAll(new Error(`${label} failed: ${event.message}`));
    port = worker as unknown as Port;
  }

  return {
    call<T>(method: string, args: unknown, transfer: Transferable[] = []): Promise<T> {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        port.postMessage({ id, method, args }, transfer);
      });
    },
    async terminate(): Promise<void> {
      failAll(new Error(`${label} was stopped`));
      await port.terminate();
    },
    keepAlive(on: boolean): void {
      if (on) port.ref?.();
      else port.unref?.();
    },
  };
}

/**
 * The worker side: answers requests with `handlers`, one at a time in the order they came: a
 * request sent while an asynchronous one (say, an `init` that instantiates a module) is still
 * running waits for it. So a caller may send a worker its next requests without waiting for
 * the answers.
 */
export async function serveLane(handlers: Record<string, (args: any) => unknown>): Promise<void> {
  const reply = (message: unknown) => port.postMessage(message);
  let port: { postMessage(message: unknown): void };
  const handle = async (data: { id: number; method: string; args: unknown }) => {
    try {
      const handler = handlers[data.method];
      if (!handler) throw new Error(`unknown request '${data.method}'`);
      reply({ id: data.id, result: await handler(data.args) });
    } catch (error) {
      reply({ id: data.id, error: { message: (error as Error).message, name: (error as Error).name } });
    }
  };
  let queue = Promise.resolve();
  const enqueue = (data: { id: number; method: string; args: unknown }) => {
    queue = queue.then(() => handle(data)); // handle() never rejects
  };
  if (isNode) {
    const { parentPort } = await import('node:worker_threads');
    if (!parentPort) throw new Error('serveLane() must run in a worker thread');
    port = parentPort;
    parentPort.on('message', enqueue);
  } else {
    const scope = globalThis as unknown as { postMessage(message: unknown): void; onmessage: ((event: MessageEvent) => void) | null };
    port = scope;
    scope.onmessage = (event) => enqueue(event.data);
  }
}
