/**
 * A `--concurrency` worker thread: receives groups of files (LintJob), lints each group with the pure
 * engine and posts the results back. Started by ./parallel.ts; never run directly.
 */
import { parentPort } from "node:worker_threads";
import { answerJob, type LintJob } from "./parallel.js";

if (!parentPort) throw new Error("lint-worker.js runs as a worker thread of fwlint --concurrency");
const port = parentPort;
port.on("message", (job: LintJob) => port.postMessage(answerJob(job)));
