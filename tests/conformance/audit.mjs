// GraphQL over HTTP conformance: runs graphql-http's server audits against a running server.
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Prints one JSON object a line per audit ({id, name, status, reason}) and exits 1 when a MUST
// audit fails (status "error"); SHOULD and MAY audits that fail are reported as "warn"/"notice".
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

const results = await auditServer({ url });
let mustFailures = 0;
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    try {
      line.body = (await result.response.text()).slice(0, 300);
    } catch {
      line.body = null;
    }
    if (result.status === 'error') mustFailures += 1;
  }
  console.log(JSON.stringify(line));
}
process.exit(mustFailures > 0 ? 1 : 0);
