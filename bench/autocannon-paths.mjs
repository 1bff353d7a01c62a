// autocannon with one path per connection (connection i asks for paths[i % paths.length]), for `throughput`.
// Its CLI takes one URL for every connection; the bench needs each connection to poll a batch of its own, so
// that sluice's single flight (retrieves of one batch in flight together share one upstream call) cannot merge
// them and every retrieve it answers is a real upstream round trip. Prints autocannon's result as JSON.
import autocannon from 'autocannon';

const { origin, paths, headers, connections, seconds } = JSON.parse(process.argv[2]);
let next = 0;
const result = await autocannon({
  url: origin,
  connections,
  duration: seconds,
  headers,
  setupClient: (client) => client.setRequests([{ method: 'GET', path: paths[next++ % paths.length], headers }]),
});
process.stdout.write(JSON.stringify(result));
