// A monitoring tool in its own process: asks the server for the controller consumer's info at a
// fixed rate (`node consumer-poller.mjs NATS_URL HZ`); on SIGTERM prints `{"polls":n,"answered":m}`.
import { connectNats } from "../../controller/node_modules/@presage/shared/dist/index.js";

const [url, hz] = process.argv.slice(2);
const nc = await connectNats({ url });
let polls = 0;
let answered = 0;
const t = setInterval(() => {
  polls++;
  nc.request("$JS.API.CONSUMER.INFO.PRESAGE_EVENTS.presage-controller", "", { timeout: 5_000 }).then(
    () => answered++,
    () => {},
  );
}, 1000 / Number(hz));
process.on("SIGTERM", async () => {
  clearInterval(t);
  process.stdout.write(`${JSON.stringify({ polls, answered })}\n`);
  await nc.close();
  process.exit(0);
});
