import express, { Router, type RequestHandler } from 'express';
import type { ApiTokenService } from '../../accounts/api-tokens.js';
import { errors } from '../../domain/errors.js';
import type { Storage } from '../../storage/ports.js';
import type { SsfServices } from '../../ssf/index.js';
import type { Subject } from '../../ssf/subjects.js';
import { authorizationServerMetadata, transmitterMetadata } from '../../ssf/metadata.js';
import { input, validate } from '../middleware/validate.js';
import { route } from '../route.js';
import { authenticateReceiver, requireSsfScope, type SsfCaller } from './authenticate-receiver.js';
import { presentStatus, presentStream } from './presenters.js';
import * as S from './schema.js';
import { tokenEndpoint } from './token-endpoint.js';

const caller = (res: { locals: Record<string, unknown> }) => res.locals.ssfCaller as SsfCaller;

/**
 * Every account's SSF transmitter: discovery (SSF §7.2, path-inserted issuer), JWKS, the OAuth
 * token endpoint and RFC 8414 metadata, stream management (SSF §8), and RFC 8936 polling.
 */
export function transmitterRouter(deps: { ssf: SsfServices; tokens: ApiTokenService; storage: Storage; publicUrl: string; keyPrepublishSeconds: number }): Router {
  const router = Router();
  const { ssf } = deps;
  /** 404 for unknown (or malformed) accounts on the public endpoints. */
  const knownAccount: RequestHandler = async (req, res, next) => {
    const id = req.params.account_id;
    const account = typeof id === 'string' && /^[a-z0-9][a-z0-9_-]{0,63}$/.test(id) ? await deps.storage.accounts.get(id) : null;
    if (!account) throw errors.notFound('unknown issuer');
    res.locals.account = account;
    next();
  };
  const auth = authenticateReceiver({ ssf, tokens: deps.tokens, storage: deps.storage });
  /**
   * SSF management and RFC 8936 poll bodies are JSON: a body of another type is refused (415)
   * rather than read as `{}` — a push configuration sent as text/plain must not become a poll
   * stream. An empty body is `{}` (a valid poll request; a create defaulting to poll).
   */
  const jsonOnly: RequestHandler = (req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is(['application/json', 'application/*+json'])) throw errors.unsupportedMediaType('request bodies must be application/json');
    next();
  };
  const read = [knownAccount, auth, requireSsfScope('ssf.read'), jsonOnly];
  const manage = [knownAccount, auth, requireSsfScope('ssf.manage'), jsonOnly];
  const show = (s: Parameters<typeof presentStream>[0]) => presentStream(s, ssf.issuer(s.accountId), ssf.minVerificationIntervalSeconds);

  // SSF §7.2: /.well-known/ssf-configuration inserted before the issuer path; a trailing slash is tolerated.
  for (const path of ['/.well-known/ssf-configuration/ssf/:account_id', '/.well-known/ssf-configuration/ssf/:account_id/']) {
    route(router, path, {
      get: [knownAccount, (req, res) => {
        const account = res.locals.account as { settings: { ssfDefaultSubjects: 'ALL' | 'NONE' } };
        res.json(transmitterMetadata(deps.publicUrl, req.params.account_id as string, account.settings.ssfDefaultSubjects));
      }],
    });
  }
  route(router, '/.well-known/oauth-authorization-server/ssf/:account_id', {
    get: [knownAccount, (req, res) => {
      res.json(authorizationServerMetadata(deps.publicUrl, req.params.account_id as string));
    }],
  });
  route(router, '/ssf/:account_id/jwks.json', {
    get: [knownAccount, async (req, res) => {
      // Receivers may cache the JWKS, but never longer than half the pre-publication window, so a
      // rotated-in key is in every cache before it signs.
      const maxAge = Math.min(300, Math.floor(deps.keyPrepublishSeconds / 2));
      // application/json rather than application/jwk-set+json: Okta requires it (vendors reference §3.1.2).
      res.type('application/json').set('Cache-Control', maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache').send(JSON.stringify(await ssf.keys.jwks(req.params.account_id as string)));
    }],
  });
  route(router, '/ssf/:account_id/oauth/token', {
    post: [knownAccount, express.urlencoded({ extended: false, limit: '16kb' }), tokenEndpoint(ssf)],
  });

  const Create = { body: S.CreateStreamBody };
  const Update = { body: S.UpdateStreamBody };
  const Query = { query: S.StreamQuery };
  const Required = { query: S.RequiredStreamQuery };
  route(router, '/ssf/:account_id/streams', {
    post: [...manage, validate(Create), async (_req, res) => {
      res.status(201).json(show(await ssf.streams.create(caller(res), input(res, Create).body)));
    }],
    get: [...read, validate(Query), async (_req, res) => {
      const id = input(res, Query).query.stream_id;
      // SSF §8.1.1.2: with stream_id one object; without, an array of this receiver's streams.
      if (id !== undefined) res.json(show(await ssf.streams.get(caller(res), id)));
      else res.json((await ssf.streams.list(caller(res))).map(show));
    }],
    patch: [...manage, validate(Update), async (_req, res) => {
      res.json(show(await ssf.streams.update(caller(res), input(res, Update).body, 'patch')));
    }],
    put: [...manage, validate(Update), async (_req, res) => {
      res.json(show(await ssf.streams.update(caller(res), input(res, Update).body, 'put')));
    }],
    delete: [...manage, validate(Required), async (_req, res) => {
      await ssf.streams.delete(caller(res), input(res, Required).query.stream_id);
      res.status(204).end();
    }],
  });
  const Status = { body: S.StatusBody };
  route(router, '/ssf/:account_id/streams/status', {
    get: [...read, validate(Required), async (_req, res) => {
      res.json(presentStatus(await ssf.streams.get(caller(res), input(res, Required).query.stream_id)));
    }],
    post: [...manage, validate(Status), async (_req, res) => {
      const { body } = input(res, Status);
      res.json(presentStatus(await ssf.streams.setStatus(caller(res), body.stream_id, body.status, body.reason ?? null)));
    }],
  });
  const Subj = { body: S.SubjectBody };
  route(router, '/ssf/:account_id/streams/subjects/add', {
    post: [...manage, validate(Subj), async (_req, res) => {
      const { body } = input(res, Subj);
      await ssf.streams.addSubject(caller(res), body.stream_id, body.subject as Subject);
      res.status(200).end(); // SSF §8.1.3.2: empty 200
    }],
  });
  route(router, '/ssf/:account_id/streams/subjects/remove', {
    post: [...manage, validate(Subj), async (_req, res) => {
      const { body } = input(res, Subj);
      await ssf.streams.removeSubject(caller(res), body.stream_id, body.subject as Subject);
      res.status(204).end();
    }],
  });
  const Verify = { body: S.VerifyBody };
  route(router, '/ssf/:account_id/streams/verify', {
    post: [...manage, validate(Verify), async (_req, res) => {
      const { body } = input(res, Verify);
      await ssf.streams.verify(caller(res), body.stream_id, body.state);
      res.status(204).end();
    }],
  });
  const Poll = { params: S.PollParams, body: S.PollBody };
  route(router, '/ssf/:account_id/poll/:stream_id', {
    post: [...read, validate(Poll), async (_req, res) => {
      const { params, body } = input(res, Poll);
      const stream = await ssf.streams.get(caller(res), params.stream_id);
      res.json(await ssf.poll(stream, body));
    }],
  });
  return router;
}
