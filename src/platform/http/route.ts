import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Role } from '../domain/types';
import { requireRole } from './auth';
import { languageOf, zodErrorMap } from './language';

type Part = z.ZodType | undefined;
type PathPart = z.ZodObject | undefined;
type Parsed<S extends Part> = S extends z.ZodType ? z.output<S> : undefined;

/** Who may call a route: the roles named, anyone with a current credential, or anyone at all. */
export type Roles = readonly Role[] | 'signed_in' | 'public';

/**
 * How the caller proves who they are, for the document: a bearer token or a channel's API key (the
 * default), a bearer token or the Web UI session cookie, the session cookie alone, or nothing.
 */
export type Credential = 'token_or_api_key' | 'token_or_session' | 'session' | 'none';

export interface RouteInput<P extends PathPart, Q extends PathPart, B extends Part> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

/**
 * One route, declared once: the router mounts it (role check, then parsing) and the OpenAPI document
 * describes it from the same object (src/platform/http/openapi.ts).
 */
export interface Route<P extends PathPart = PathPart, Q extends PathPart = PathPart, B extends Part = Part> {
  method: 'get' | 'post';
  /** The full path as the document shows it, e.g. `/v1/leads/{id}`. */
  path: string;
  summary: string;
  /** More than the summary says; the document puts who may call first. */
  description?: string;
  roles: Roles;
  /** Of the roles, those admitted to their own resources only (their cases, their channel's): the service checks which. */
  own?: readonly Role[];
  /** The handler (or the service it calls) checks `roles` itself: the credential comes in the body, or the refusal has its own code. */
  checksRolesItself?: boolean;
  credential?: Credential;
  /** What the mount parses and hands to the handler; `form` is documented only, and read by the handler. */
  request?: { params?: P; query?: Q; body?: B; form?: z.ZodObject };
  responses: Record<number, ResponseConfig>;
  /** Middleware of this route alone, after the role check (e.g. a form parser). */
  before?: RequestHandler[];
  handler(input: RouteInput<P, Q, B>, req: Request, res: Response): Promise<void> | void;
}

export const defineRoute = <P extends PathPart = undefined, Q extends PathPart = undefined, B extends Part = undefined>(
  route: Route<P, Q, B>,
): Route => route as Route;

/** `/v1/leads/{id}` under a router mounted at `/v1` is `/leads/:id`. */
const expressPath = (path: string, prefix: string) => path.slice(prefix.length).replace(/\{(\w+)\}/g, ':$1') || '/';

/**
 * Mounts routes on a router that is itself mounted at `prefix`: for each, the role check (`guard`,
 * requireRole unless the router's credential is checked another way), the route's own middleware,
 * then the handler with its body, query and params parsed, in that order.
 */
export function mountRoutes(
  router: Router,
  routes: readonly Route[],
  prefix = '',
  guard: (...roles: Role[]) => RequestHandler = requireRole,
): Router {
  for (const route of routes) {
    if (!route.path.startsWith(prefix)) throw new Error(`route ${route.path} is not under ${prefix}`);
    const roleCheck = typeof route.roles === 'string' || route.checksRolesItself ? [] : [guard(...route.roles)];
    router[route.method](expressPath(route.path, prefix), ...roleCheck, ...(route.before ?? []), async (req, res) => {
      const { params, query, body } = route.request ?? {};
      // zod's messages in the caller's language, chosen per parse (requests run concurrently).
      const options = { error: zodErrorMap(languageOf(req)) };
      const input = {
        body: body?.parse(req.body ?? {}, options),
        query: query?.parse(req.query ?? {}, options),
        params: params?.parse(req.params, options),
      };
      await route.handler(input, req, res);
    });
  }
  return router;
}
