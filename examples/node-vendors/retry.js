// Retries for transient faults: 429 (honouring Retry-After), 5xx, and dropped connections.
//
// A dropped connection on a read or an idempotent write (PUT) is retried. On a create (POST) it
// is not: the create may have happened, so the caller must look before it creates again
// (OutcomeUnknown).

export class OutcomeUnknown extends Error {}

const ATTEMPTS = 6;

// Wait without sleeping when the harness offers its virtual clock (ZOHOSIM_CONTROL_URL);
// against real Zoho, or without it, sleep.
export async function wait(seconds) {
  const control = process.env.ZOHOSIM_CONTROL_URL;
  if (control) {
    await fetch(`${control}/clock`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ advance: seconds }),
    });
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

// call() returns { status, retryAfter } (and whatever else the caller needs), or throws on a
// network error. kind: "read" | "idempotent" | "create".
export async function withRetry(call, { kind, what }) {
  for (let attempt = 1; ; attempt++) {
    let reply;
    try {
      reply = await call();
    } catch (error) {
      if (kind === "create") throw new OutcomeUnknown(`${what}: ${error.message}`);
      if (attempt >= ATTEMPTS) throw error;
      await wait(backoff(attempt));
      continue;
    }
    const transient = reply.status === 429 || reply.status >= 500;
    if (!transient || attempt >= ATTEMPTS) return reply;
    const asked = Number(reply.retryAfter);
    await wait(reply.status === 429 && Number.isFinite(asked) ? asked : backoff(attempt));
  }
}

function backoff(attempt) {
  return Math.min(8, 0.25 * 2 ** (attempt - 1));
}
