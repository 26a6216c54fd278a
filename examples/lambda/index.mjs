// AWS Lambda handler (Node.js 20, API Gateway HTTP API payload v2) that reads
// and writes Cloud Spanner through PostgreSQL and spanner_fdw.
//
// The function speaks plain PostgreSQL (npm "pg") to a PostgreSQL server on
// which spanner_fdw maps the Spanner tables items, orders and order_lines into
// the schema "shop" (see README.md). It holds no Google credential: the
// PostgreSQL role it logs in as has a user mapping that decides which Google
// service account and Spanner database role its queries use.
//
// Routes
//   GET  /health            this execution environment's connection state
//   GET  /items/{id}        one item by key
//   GET  /items?min_price=&limit=
//                           items with price >= min_price, cheapest first
//   POST /orders            {"order_id"?, "customer", "lines": [{"item_id", "qty"}]}
//                           one transaction: take the stock, insert the
//                           order and its lines; retried on 40001
//   GET  /orders/{id}       an order and its lines
//
// Configuration (environment)
//   PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD   read by pg itself
//   PG_SECRET_ID     a Secrets Manager secret (JSON: username, password,
//                    optionally host, port, dbname) read once per cold start
//                    through the AWS Parameters and Secrets Lambda Extension
//                    (plain HTTP on localhost; no AWS SDK)
//   PGSSLROOTCERT    CA bundle (a file of the deployment package): TLS with
//                    the server's certificate verified; with PGSSLCERT and
//                    PGSSLKEY (files) or ssl_cert / ssl_key in the secret,
//                    a client certificate too
//   TX_MAX_ATTEMPTS  attempts of a write transaction (default 6)
//   PG_STATEMENT_TIMEOUT_MS  (default 10000)

import crypto from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';

// numeric comes back as a string (exact); bigint as a JS number when it fits
pg.types.setTypeParser(20, (v) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

const APP_NAME = `lambda:${process.env.AWS_LAMBDA_FUNCTION_NAME || 'local'}`.slice(0, 63);
const MAX_ATTEMPTS = Math.max(1, parseInt(process.env.TX_MAX_ATTEMPTS || '6', 10));
const STATEMENT_TIMEOUT_MS = parseInt(process.env.PG_STATEMENT_TIMEOUT_MS || '10000', 10);
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 1000;
// Leave this much of the invocation's time for ROLLBACK and the answer.
const DEADLINE_MARGIN_MS = 1500;

// ------------------------------------------------------------ the connection
// One connection per execution environment, opened by its first invocation
// and reused by every warm one (a Lambda environment runs one invocation at
// a time, so one connection is all it can use). The PostgreSQL backend
// keeps its Spanner session and Google token too, so a warm invocation costs
// the queries alone.

const state = {
  client: null, // a connected pg.Client, or null
  connecting: null, // the promise of the connection being opened
  settings: null, // connection settings (secret read once per cold start)
  coldStartAt: new Date().toISOString(),
  invocations: 0,
  connects: 0,
};

async function readSecret(secretId) {
  // AWS Parameters and Secrets Lambda Extension: a local HTTP endpoint that
  // authenticates the caller by the function's own session token.
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || '2773';
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`;
  const res = await fetch(url, {
    headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN || '' },
    signal: AbortSignal.timeout(3000),
  });
  if (!res.ok) throw new Error(`reading secret ${secretId}: HTTP ${res.status}`);
  const body = await res.json();
  const s = body.SecretString;
  try {
    return JSON.parse(s);
  } catch {
    return { password: s };
  }
}

async function connectionSettings() {
  if (state.settings) return state.settings;
  const settings = {
    application_name: APP_NAME,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    // a connection that died silently while the environment was frozen
    // must fail fast, not hang until the invocation times out
    query_timeout: STATEMENT_TIMEOUT_MS + 2000,
    connectionTimeoutMillis: 5000,
    keepAlive: true,
  };
  let secret = {};
  if (process.env.PG_SECRET_ID) {
    secret = await readSecret(process.env.PG_SECRET_ID);
    if (secret.username) settings.user = secret.username;
    if (secret.password) settings.password = secret.password;
    if (secret.host) settings.host = secret.host;
    if (secret.port) settings.port = Number(secret.port);
    if (secret.dbname) settings.database = secret.dbname;
  }
  if (process.env.PGSSLROOTCERT) {
    const readIf = (f) => (f ? fs.readFileSync(f, 'utf8') : undefined);
    settings.ssl = {
      rejectUnauthorized: true,
      ca: fs.readFileSync(process.env.PGSSLROOTCERT, 'utf8'),
      cert: secret.ssl_cert || readIf(process.env.PGSSLCERT),
      key: secret.ssl_key || readIf(process.env.PGSSLKEY),
    };
  }
  state.settings = settings;
  return settings;
}

function dropClient(client) {
  if (state.client === client) state.client = null;
  client.end().catch(() => {});
}

async function getClient() {
  if (state.client) return state.client;
  if (!state.connecting) {
    state.connecting = (async () => {
      const client = new pg.Client(await connectionSettings());
      // An idle connection that dies (pg_terminate_backend, a server
      // restart, a network cut) emits 'error': forget it, and the next
      // invocation connects again. Without this listener the process would
      // crash.
      client.on('error', (err) => {
        log({ msg: 'connection lost', error: err.message, code: err.code });
        dropClient(client);
      });
      client.on('end', () => {
        if (state.client === client) state.client = null;
      });
      try {
        await client.connect();
      } catch (err) {
        // a rotated password: read the secret again, once
        if (!process.env.PG_SECRET_ID || (err.code !== '28P01' && err.code !== '28000')) throw err;
        log({ msg: 'login refused, reading the secret again', code: err.code });
        state.settings = null;
        client.end().catch(() => {});
        const retry = new pg.Client(await connectionSettings());
        retry.on('error', (e) => {
          log({ msg: 'connection lost', error: e.message, code: e.code });
          dropClient(retry);
        });
        retry.on('end', () => {
          if (state.client === retry) state.client = null;
        });
        await retry.connect();
        state.connects += 1;
        state.client = retry;
        return retry;
      }
      state.connects += 1;
      log({ msg: 'connected', backend_pid: client.processID, connects: state.connects });
      state.client = client;
      return client;
    })().finally(() => {
      state.connecting = null;
    });
  }
  return state.connecting;
}

// Errors that mean "the connection is gone", not "the statement failed".
const CONNECTION_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting or stopping)
  '08000', '08003', '08006', '08001', '08004',
]);
const CONNECTION_ERRNOS = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTCONN']);

function isConnectionError(err) {
  if (!err) return false;
  // an ERROR from the server means the connection is alive (spanner_fdw
  // reports Spanner's UNAVAILABLE as 08006 at that level); only FATAL ones
  // and socket failures end it
  if (err.severity && err.severity !== 'FATAL' && err.severity !== 'PANIC') return false;
  if (err.code && CONNECTION_SQLSTATES.has(err.code)) return true;
  if (err.code && CONNECTION_ERRNOS.has(err.code)) return true;
  return /Connection terminated|Client has encountered a connection error|not queryable|Client was closed/i.test(
    err.message || '',
  );
}

// run(fn): fn(client) on the kept connection; if the connection turns out to
// be dead (it died while the environment was frozen, so nothing noticed),
// connect again and run fn once more. Only for work that is safe to repeat
// (reads; a transaction that never reached COMMIT).
async function run(fn) {
  const client = await getClient();
  try {
    return await fn(client);
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    log({ msg: 'reconnecting', error: err.message, code: err.code });
    dropClient(client);
    return fn(await getClient());
  }
}

// ------------------------------------------------------------ transactions

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure (Spanner ABORTED), deadlock

class HttpError extends Error {
  constructor(status, body) {
    super(body.error);
    this.status = status;
    this.body = body;
  }
}

class OutcomeUnknown extends Error {}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// withTransaction(context, work): BEGIN; work(client); COMMIT -- the whole of
// it again, after a jittered exponential backoff, when PostgreSQL reports a
// serialization failure (spanner_fdw turns Spanner's ABORTED into 40001) or
// the connection was lost before COMMIT was sent. At most MAX_ATTEMPTS
// attempts, and none that would not finish before the invocation's deadline.
// Returns { result, attempts }.
async function withTransaction(context, work) {
  for (let attempt = 1; ; attempt++) {
    let client;
    let committing = false;
    try {
      client = await getClient();
      await client.query('BEGIN');
      const result = await work(client);
      committing = true;
      await client.query('COMMIT');
      return { result, attempts: attempt };
    } catch (err) {
      if (client && !isConnectionError(err)) {
        // after an error PostgreSQL only accepts ROLLBACK; after a failed
        // COMMIT there is no transaction left and this is a no-op warning
        await client.query('ROLLBACK').catch(() => {});
      }
      if (isConnectionError(err)) {
        if (client) dropClient(client);
        if (committing) throw new OutcomeUnknown(err.message);
      } else if (committing && (err.code === '08007' || err.code === '57014')) {
        // Spanner could not say whether the commit happened (08007), or the
        // commit was cut off by statement_timeout: never commit twice
        throw new OutcomeUnknown(err.message);
      } else if (!RETRYABLE.has(err.code)) {
        throw err;
      }
      const backoff = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
      log({ msg: 'transaction failed', attempt, code: err.code, error: err.message, retry: attempt < MAX_ATTEMPTS });
      if (attempt >= MAX_ATTEMPTS || context.getRemainingTimeInMillis() < backoff + DEADLINE_MARGIN_MS) {
        err.attempts = attempt;
        throw err;
      }
      await sleep(backoff);
    }
  }
}

// ------------------------------------------------------------ routes

const ID_RE = /^[A-Za-z0-9_-]{1,36}$/;
const ITEM_COLUMNS = 'id, name, price, stock';

async function getItem(id) {
  if (!ID_RE.test(id || '')) return respond(400, { error: 'bad item id' });
  const { rows } = await run((c) => c.query(`SELECT ${ITEM_COLUMNS} FROM shop.items WHERE id = $1`, [id]));
  return rows.length ? respond(200, rows[0]) : respond(404, { error: 'no such item', id });
}

async function listItems(q) {
  const minPrice = q.min_price ?? '0';
  if (!/^\d{1,12}(\.\d{1,9})?$/.test(minPrice)) return respond(400, { error: 'min_price: a non-negative decimal' });
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return respond(400, { error: 'limit: an integer from 1 to 100' });
  // spanner_fdw sends the filter, ORDER BY and LIMIT to Spanner where it can
  // compute them exactly as PostgreSQL does (EXPLAIN VERBOSE shows what)
  const { rows } = await run((c) =>
    c.query(
      `SELECT ${ITEM_COLUMNS} FROM shop.items WHERE price >= $1::numeric ORDER BY price, id LIMIT $2`,
      [minPrice, limit],
    ),
  );
  return respond(200, { items: rows, count: rows.length });
}

function parseOrder(event) {
  let body;
  try {
    const raw = event.isBase64Encoded ? Buffer.from(event.body || '', 'base64').toString('utf8') : event.body;
    body = JSON.parse(raw || '{}');
  } catch {
    throw new HttpError(400, { error: 'the body is not JSON' });
  }
  const orderId = body.order_id ?? crypto.randomUUID();
  if (!ID_RE.test(orderId)) throw new HttpError(400, { error: 'bad order_id' });
  if (typeof body.customer !== 'string' || body.customer.length < 1 || body.customer.length > 200) {
    throw new HttpError(400, { error: 'customer: a string of 1 to 200 characters' });
  }
  if (!Array.isArray(body.lines) || body.lines.length < 1 || body.lines.length > 50) {
    throw new HttpError(400, { error: 'lines: 1 to 50 lines' });
  }
  const lines = body.lines.map((l, i) => {
    if (!ID_RE.test(l?.item_id || '') || !Number.isInteger(l.qty) || l.qty < 1 || l.qty > 1000) {
      throw new HttpError(400, { error: `lines[${i}]: item_id and qty (1 to 1000)` });
    }
    return { item_id: l.item_id, qty: l.qty };
  });
  return { orderId, customer: body.customer, lines };
}

async function createOrder(event, context) {
  const order = parseOrder(event);
  try {
    const { result, attempts } = await withTransaction(context, async (c) => {
      // Each stock change is one UPDATE that Spanner runs whole inside the
      // read-write transaction: the check and the decrement cannot be
      // separated by another writer, whatever the isolation level.
      const lines = [];
      for (const [i, l] of order.lines.entries()) {
        const r = await c.query(
          'UPDATE shop.items SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING price',
          [l.item_id, l.qty],
        );
        if (r.rowCount !== 1) {
          throw new HttpError(409, { error: 'unknown item or not enough stock', item_id: l.item_id });
        }
        lines.push({ line_no: i + 1, ...l, price: r.rows[0].price });
      }
      const { rows } = await c.query(
        `SELECT sum(qty * price)::text AS total FROM unnest($1::bigint[], $2::numeric[]) AS l(qty, price)`,
        [lines.map((l) => l.qty), lines.map((l) => l.price)],
      );
      const total = rows[0].total;
      await c.query('INSERT INTO shop.orders (order_id, customer, total, created_at) VALUES ($1, $2, $3, now())', [
        order.orderId,
        order.customer,
        total,
      ]);
      await c.query(
        `INSERT INTO shop.order_lines (order_id, line_no, item_id, qty, price)
         SELECT $1, l.line_no, l.item_id, l.qty, l.price
           FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::numeric[]) AS l(line_no, item_id, qty, price)`,
        [
          order.orderId,
          lines.map((l) => l.line_no),
          lines.map((l) => l.item_id),
          lines.map((l) => l.qty),
          lines.map((l) => l.price),
        ],
      );
      return { order_id: order.orderId, customer: order.customer, total, lines };
    });
    log({ msg: 'order committed', order_id: order.orderId, attempts });
    return respond(201, { ...result, attempts });
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof OutcomeUnknown) {
      // COMMIT was sent and its answer lost: it may or may not have
      // committed. Never repeat it blindly; the caller can look the order up.
      return respond(503, { error: 'the outcome of the commit is unknown', order_id: order.orderId });
    }
    if (err.code === '23505') return respond(409, { error: 'order exists', order_id: order.orderId });
    if (RETRYABLE.has(err.code)) {
      log({ msg: 'order given up', order_id: order.orderId, attempts: err.attempts, code: err.code });
      return respond(503, { error: 'too much contention, try again', code: err.code, attempts: err.attempts });
    }
    throw err;
  }
}

async function getOrder(id) {
  if (!ID_RE.test(id || '')) return respond(400, { error: 'bad order id' });
  // one PostgreSQL transaction = one Spanner snapshot for both reads
  const res = await run(async (c) => {
    await c.query('BEGIN READ ONLY');
    try {
      const o = await c.query('SELECT order_id, customer, total, created_at FROM shop.orders WHERE order_id = $1', [id]);
      const l = await c.query(
        'SELECT line_no, item_id, qty, price FROM shop.order_lines WHERE order_id = $1 ORDER BY line_no',
        [id],
      );
      await c.query('COMMIT');
      return { order: o.rows[0], lines: l.rows };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
  return res.order ? respond(200, { ...res.order, lines: res.lines }) : respond(404, { error: 'no such order', id });
}

async function health() {
  const { rows } = await run((c) => c.query('SELECT pg_backend_pid() AS backend_pid, current_user AS role'));
  return respond(200, {
    ...rows[0],
    cold_start_at: state.coldStartAt,
    invocations: state.invocations,
    connects: state.connects,
  });
}

// ------------------------------------------------------------ the handler

function respond(statusCode, body) {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function log(fields) {
  console.log(JSON.stringify(fields));
}

export const handler = async (event, context) => {
  state.invocations += 1;
  const method = event.requestContext?.http?.method || (event.routeKey || '').split(' ')[0];
  const path = event.rawPath || '/';
  const q = event.queryStringParameters || {};
  let m;
  try {
    if (method === 'GET' && path === '/health') return await health();
    if (method === 'GET' && (m = path.match(/^\/items\/([^/]+)$/))) {
      return await getItem(event.pathParameters?.id ?? decodeURIComponent(m[1]));
    }
    if (method === 'GET' && path === '/items') return await listItems(q);
    if (method === 'POST' && path === '/orders') return await createOrder(event, context);
    if (method === 'GET' && (m = path.match(/^\/orders\/([^/]+)$/))) {
      return await getOrder(event.pathParameters?.id ?? decodeURIComponent(m[1]));
    }
    return respond(404, { error: 'no such route', method, path });
  } catch (err) {
    if (err instanceof HttpError) return respond(err.status, err.body);
    log({ msg: 'request failed', request_id: context.awsRequestId, code: err.code, error: err.message });
    if (isConnectionError(err)) return respond(503, { error: 'database unavailable' });
    return respond(500, { error: 'internal error', request_id: context.awsRequestId });
  }
};
