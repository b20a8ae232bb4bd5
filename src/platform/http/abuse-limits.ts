import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type AugmentedRequest, type Store } from 'express-rate-limit';
import type { DataSource } from 'typeorm';
import { appendAudit } from '../audit/log';
import type { Logger } from '../logger';
import type { Actor } from './auth';
import { AppError } from './errors';

export const ABUSE_WINDOW_MS = 60_000;

const secondsUntil = (at: number) => Math.max(1, Math.ceil((at - Date.now()) / 1000));

/**
 * Failed authentication per client address (bad or expired bearer tokens, unknown or revoked API
 * keys, missing or malformed credentials, a credential whose holder is no longer current): each
 * costs a verification and often a database lookup, and a stream of them is someone guessing.
 * Only failures count, so a client that signs in properly is never slowed by this. Past `limit`
 * failures in a window the client is answered 429 `too_many_failed_authentications` with
 * Retry-After, before any lookup, whatever credential it sends, until the window ends.
 *
 * `gate` goes before authentication; `pending` marks the start of authentication and `passed` its
 * success, so that a 403 raised by authentication itself counts and a later role refusal does not;
 * `count` is an error handler that counts a failure and answers the one past the limit with 429.
 *
 * The counts live in `store` (the API's is shared by every replica through Postgres; without one,
 * in this process). Should the store fail, requests pass: the limit never makes an outage worse.
 */
export function authFailureLimit(limit: number, store?: Store) {
  const keyOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  const refusal = (res: Response, resetAt: number) => {
    res.setHeader('Retry-After', String(secondsUntil(resetAt)));
    return new AppError(
      429,
      'too_many_failed_authentications',
      'too many failed sign-ins from this client; wait before trying again',
    );
  };
  const counter = rateLimit({
    windowMs: ABUSE_WINDOW_MS,
    limit,
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: keyOf,
    ...(store ? { store } : {}),
    passOnStoreError: true,
    handler: (req, res, next) =>
      next(refusal(res, (req as AugmentedRequest).rateLimit?.resetTime?.getTime() ?? Date.now() + ABUSE_WINDOW_MS)),
  });

  const gate: RequestHandler = (req, res, next) => {
    Promise.resolve(counter.getKey(keyOf(req))).then(
      (seen) => {
        const resetAt = seen?.resetTime?.getTime() ?? 0;
        if (seen && seen.totalHits >= limit && resetAt > Date.now()) return next(refusal(res, resetAt));
        next();
      },
      () => next(),
    );
  };
  const pending: RequestHandler = (_req, res, next) => {
    res.locals.authenticating = true;
    next();
  };
  const passed: RequestHandler = (_req, res, next) => {
    res.locals.authenticating = false;
    next();
  };
  const count: ErrorRequestHandler = (err, req, res, next) => {
    const status = err instanceof AppError ? err.status : 0;
    if (status !== 401 && !(status === 403 && res.locals.authenticating === true)) return next(err);
    void counter(req, res, () => next(err));
  };
  return { gate, pending, passed, count };
}

interface ActorWindow {
  actor: Pick<Actor, 'sub' | 'role'>;
  start: number;
  refused: number;
  blocked: number;
  /** The (route, code) pairs already written as a row of their own in this window. */
  audited: Set<string>;
  /** The refusals not written as a row of their own, by route and code. */
  unaudited: Map<string, number>;
  timer?: NodeJS.Timeout;
}

/** Distinct (route, code) pairs a summary row lists; the rest are summed under `(other)`. */
const SUMMARY_ROUTES = 20;

/**
 * The audit of refusals (403) of signed-in callers, bounded per actor. A refusal is evidence of who
 * tried what, but one audit row per refusal let any caller flood the chain, whose appends are
 * serialised. Per actor and window: the first refusal of each (route, code) is written at once, up
 * to `immediate` rows; every other refusal is counted, and when the window closes one summary row
 * (`access.refused_repeatedly`) records how many there were, by route and code. So a burst costs at
 * most `immediate` + 1 rows per window and still leaves its size in the trail. Refusals also count
 * towards a limit: past `limit` in a window the actor is answered 429 `too_many_refusals` until the
 * window ends, and those attempts are counted in the summary too.
 *
 * The audit's counts live in this process until the window closes (at most a minute); `flush`
 * writes them at once (on shutdown). With several API processes each keeps its own windows for the
 * audit rows, while the limit is counted in `store` when one is given (the API's is shared by every
 * replica through Postgres, so the limit holds across them; `count` adds each refusal to it before
 * the answer goes out). Should the store fail, requests pass.
 */
export class RefusalAudit {
  private readonly windows = new Map<string, ActorWindow>();

  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
    private readonly opts: { limit: number; immediate: number; windowMs: number; store?: Store },
  ) {
    void opts.store?.init?.({ windowMs: opts.windowMs } as Parameters<NonNullable<Store['init']>>[0]);
  }

  /** Records a refusal of `actor` at `route` with `code`. */
  record(actor: Actor, route: string, code: string): void {
    const w = this.windowOf(actor);
    w.refused++;
    const key = `${route} ${code}`;
    if (!w.audited.has(key) && w.audited.size < this.opts.immediate) {
      w.audited.add(key);
      void this.write({
        actorSub: actor.sub,
        actorRole: actor.role,
        action: 'access.refused',
        targetType: 'route',
        targetId: route,
        details: { code },
      });
      return;
    }
    const kept = w.unaudited.has(key) || w.unaudited.size < SUMMARY_ROUTES ? key : '(other)';
    w.unaudited.set(kept, (w.unaudited.get(kept) ?? 0) + 1);
  }

  /**
   * An error handler at the end of a router: notes the refused route as its pattern under the
   * router's mount point (`GET /v1/leads/:id`), which the app's last error handler no longer knows.
   */
  readonly noteRoute: ErrorRequestHandler = (err, req, res, next) => {
    res.locals.refusedRoute = `${req.method} ${req.baseUrl}${req.route?.path ?? req.path}`;
    next(err);
  };

  /** The route a refusal is recorded against. */
  static routeOf(req: Request): string {
    return (req.res?.locals.refusedRoute as string | undefined) ?? `${req.method} ${req.originalUrl.split('?')[0]}`;
  }

  /** Before the routes: an actor past the limit is refused (and counted) until its window ends. */
  readonly gate: RequestHandler = (req, res, next) => {
    const actor = req.actor;
    if (!actor) return next();
    this.resetAtIfOver(actor).then(
      (resetAt) => {
        if (resetAt === null) return next();
        this.windowOf(actor).blocked++;
        res.setHeader('Retry-After', String(secondsUntil(resetAt)));
        next(
          new AppError(
            429,
            'too_many_refusals',
            'too many refused requests from this credential; wait before trying again',
          ),
        );
      },
      () => next(),
    );
  };

  /** An error handler before the problem handler: adds a signed-in caller's refusal to the shared count. */
  readonly count: ErrorRequestHandler = (err, req, _res, next) => {
    const store = this.opts.store;
    if (!store || !req.actor || !(err instanceof AppError) || err.status !== 403) return next(err);
    Promise.resolve(store.increment(keyOf(req.actor))).then(
      () => next(err),
      () => next(err),
    );
  };

  /** When the actor's window ends if it is past the limit, else null. */
  private async resetAtIfOver(actor: Actor): Promise<number | null> {
    if (this.opts.store) {
      const seen = await this.opts.store.get?.(keyOf(actor));
      const resetAt = seen?.resetTime?.getTime() ?? 0;
      return seen && seen.totalHits >= this.opts.limit && resetAt > Date.now() ? resetAt : null;
    }
    const w = this.windows.get(keyOf(actor));
    const end = w ? w.start + this.opts.windowMs : 0;
    return w && w.refused >= this.opts.limit && Date.now() < end ? end : null;
  }

  /** Writes the summary of every open window now. */
  async flush(): Promise<void> {
    const open = [...this.windows.values()];
    this.windows.clear();
    await Promise.all(open.map((w) => this.summarise(w)));
  }

  private windowOf(actor: Actor): ActorWindow {
    const key = keyOf(actor);
    const now = Date.now();
    const current = this.windows.get(key);
    if (current && now < current.start + this.opts.windowMs) return current;
    if (current) void this.close(key, current);
    const fresh: ActorWindow = {
      actor: { sub: actor.sub, role: actor.role },
      start: now,
      refused: 0,
      blocked: 0,
      audited: new Set(),
      unaudited: new Map(),
    };
    this.windows.set(key, fresh);
    // The window's end forgets it (and writes its summary, if any), so idle actors are not kept.
    this.closeLater(fresh);
    return fresh;
  }

  private closeLater(w: ActorWindow): void {
    if (w.timer) return;
    w.timer = setTimeout(
      () => void this.close(keyOf(w.actor), w),
      Math.max(0, w.start + this.opts.windowMs - Date.now()),
    );
    w.timer.unref();
  }

  private async close(key: string, w: ActorWindow): Promise<void> {
    if (this.windows.get(key) === w) this.windows.delete(key);
    await this.summarise(w);
  }

  private async summarise(w: ActorWindow): Promise<void> {
    if (w.timer) clearTimeout(w.timer);
    const unaudited = [...w.unaudited.values()].reduce((a, b) => a + b, 0);
    if (unaudited === 0 && w.blocked === 0) return;
    const routes = [...w.unaudited]
      .sort((a, b) => b[1] - a[1])
      .map(([key, count]) => {
        const at = key.lastIndexOf(' ');
        return key === '(other)'
          ? { route: '(other)', code: '(other)', count }
          : { route: key.slice(0, at), code: key.slice(at + 1), count };
      });
    await this.write({
      actorSub: w.actor.sub,
      actorRole: w.actor.role,
      action: 'access.refused_repeatedly',
      targetType: 'actor',
      targetId: w.actor.sub,
      details: {
        windowStart: new Date(w.start).toISOString(),
        windowEnd: new Date(w.start + this.opts.windowMs).toISOString(),
        refused: w.refused,
        auditedSeparately: w.refused - unaudited,
        notAuditedSeparately: unaudited,
        blockedAfterLimit: w.blocked,
        routes,
      },
    });
  }

  private write(entry: Parameters<typeof appendAudit>[1]): Promise<void> {
    return appendAudit(this.db.manager, entry).catch((e: unknown) =>
      this.logger.error({ err: (e as Error).message }, 'could not audit a refusal'),
    );
  }
}

const keyOf = (actor: Pick<Actor, 'sub' | 'role'>) => `${actor.role}\u0000${actor.sub}`;
