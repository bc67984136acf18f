// Small helpers for asserting problem+json answers.
import type { Test } from 'tap';
import type { LightMyRequestResponse } from 'fastify';

export function problem(res: LightMyRequestResponse): { code: string; status: number; detail?: string; errors?: { index?: number; field: string; message: string }[] } {
  return res.json();
}

/** Asserts a problem+json answer with the given status and code; returns the problem. */
export function assertProblem(t: Test, res: LightMyRequestResponse, status: number, code: string) {
  t.equal(res.statusCode, status, `status ${status} (${code})`);
  t.match(res.headers['content-type'], /^application\/problem\+json/, 'problem+json content type');
  const body = problem(res);
  t.equal(body.code, code, `code ${code}`);
  t.equal(body.status, status, 'status in body');
  t.notMatch(JSON.stringify(body), /at .*\.(ts|js):\d+/, 'no stack trace');
  return body;
}
