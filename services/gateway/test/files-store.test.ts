import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { startRedis, type ServerHandle } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { BatchStore } from "../src/batches/batch-store.js";
import type { StoredFile } from "../src/files/file.js";
import { FileStore } from "../src/files/file-store.js";
import { checkUploadFields } from "../src/files/files.service.js";
import { uploadErrorOf } from "../src/files/upload-error.filter.js";
import { HttpApiError } from "#http";

const log = createLogger("files-store-test", "silent");
const HOUR = 3_600_000;

function file(id: string, createdAt: number, extra: Partial<StoredFile> = {}): StoredFile {
  return {
    id,
    tenant: "t1",
    filename: `${id}.jsonl`,
    purpose: "batch",
    bytes: 5,
    createdAt,
    expiresAt: Date.now() + HOUR,
    derivedFrom: null,
    ...extra,
  };
}

/** Files and batches' own keys against a real redis-server. */
describe("files and batches in Redis (real redis-server)", () => {
  let server: ServerHandle;
  let redis: Redis;
  let files: FileStore;

  before(async () => {
    server = await startRedis();
    redis = connectRedis(server.url, "test", log);
    files = new FileStore(redis, log);
  });
  beforeEach(async () => {
    await redis.flushall();
  });
  after(async () => {
    await closeRedis(redis);
    await server?.stop();
  });

  it("keeps an upload's content, read back in ranges, until it expires", async () => {
    const content = Buffer.from("0123456789");
    await files.save(file("file-a", 1, { bytes: 10, expiresAt: Date.now() + 300 }), content);
    assert.equal((await files.get("file-a"))?.bytes, 10);
    assert.equal((await files.content("file-a", 0, 4)).toString(), "0123");
    assert.equal((await files.content("file-a", 8, 4)).toString(), "89");
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await files.get("file-a"), null);
    assert.equal((await files.content("file-a", 0, 4)).length, 0);
  });

  it("lists a tenant's files newest first or oldest first, by purpose, a page after another", async () => {
    for (let i = 1; i <= 5; i++) await files.save(file(`file-${i}`, i), Buffer.from("x"));
    await files.save(file("file-other", 9, { tenant: "t2" }), Buffer.from("x"));
    const ids = (page: { files: StoredFile[] } | null) => page?.files.map((f) => f.id);
    const first = await files.list("t1", { limit: 2, order: "desc" });
    assert.deepEqual(ids(first), ["file-5", "file-4"]);
    assert.equal(first?.hasMore, true);
    const next = await files.list("t1", { limit: 5, order: "desc", after: "file-4" });
    assert.deepEqual(ids(next), ["file-3", "file-2", "file-1"]);
    assert.equal(next?.hasMore, false);
    assert.deepEqual(ids(await files.list("t1", { limit: 2, order: "asc" })), ["file-1", "file-2"]);
    assert.deepEqual(ids(await files.list("t1", { limit: 9, order: "asc", purpose: "batch_output" })), []);
    assert.equal(await files.list("t1", { limit: 2, order: "desc", after: "file-nope" }), null);
  });

  it("drops deleted and expired files from the list as met", async () => {
    await files.save(file("file-1", 1), Buffer.from("x"));
    await files.save(file("file-2", 2, { expiresAt: Date.now() + 100 }), Buffer.from("x"));
    await files.remove((await files.get("file-1"))!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual((await files.list("t1", { limit: 10, order: "desc" }))?.files, []);
    assert.equal(await redis.zcard("specfleet:files:tenant:t1"), 0);
  });

  it("stores a derived file once, and not again once it was deleted", async () => {
    const derived = file("file-batch_x-output", 1, {
      purpose: "batch_output",
      derivedFrom: { batchId: "batch_x", kind: "output" },
    });
    assert.equal(await files.saveDerived(derived), true);
    assert.equal(await files.saveDerived({ ...derived, bytes: 99 }), false);
    assert.equal((await files.get(derived.id))?.bytes, 5);
    await files.remove(derived);
    assert.equal(await files.get(derived.id), null);
    assert.equal(await files.saveDerived(derived), false);
  });

  it("lists a tenant's batches newest first, skipping those that expired", async () => {
    const batches = new BatchStore(redis, log);
    for (let i = 1; i <= 4; i++) await batches.saveJobBatch("t1", `batch_${i}`, i, [], HOUR);
    const gone = new Set(["batch_3"]);
    const resolve = async (id: string) => (gone.has(id) ? null : id);
    const first = await batches.list("t1", { limit: 2 }, resolve);
    assert.deepEqual(first, { batches: ["batch_4", "batch_2"], hasMore: true });
    assert.deepEqual(await batches.list("t1", { limit: 2, after: "batch_2" }, resolve), {
      batches: ["batch_1"],
      hasMore: false,
    });
    assert.equal(await batches.list("t1", { limit: 2, after: "batch_3" }, resolve), null);
  });

  it("keeps a batch's invalid lines in order", async () => {
    const batches = new BatchStore(redis, log);
    const invalid = [1, 4, 9].map((line) => ({
      line,
      customId: null,
      code: "invalid_json",
      message: "no",
      param: null,
    }));
    await batches.saveJobBatch("t1", "batch_1", 1, invalid, HOUR);
    assert.deepEqual(
      (await batches.invalid("batch_1", 1, 5)).map((l) => l.line),
      [4, 9],
    );
    assert.ok((await redis.pttl("specfleet:batch:{batch_1}:invalid")) > 0);
  });
});

describe("upload checks", () => {
  for (const [fields, param] of [
    [{}, "purpose"],
    [{ purpose: "fine-tune" }, "purpose"],
    [{ purpose: "batch", "expires_after[seconds]": "3600" }, "expires_after[seconds]"],
  ] as const) {
    it(`refuses ${JSON.stringify(fields)} naming ${param}`, () => {
      assert.throws(
        () => checkUploadFields(fields),
        (err: unknown) => err instanceof HttpApiError && err.status === 400 && err.param === param,
      );
    });
  }

  it("takes purpose batch", () => {
    checkUploadFields({ purpose: "batch" });
  });

  it("words multer's refusals as OpenAI errors", () => {
    const big = uploadErrorOf(413, "File too large", 1000);
    assert.deepEqual([big.status, big.code, big.param], [413, "file_too_large", "file"]);
    assert.match(big.message, /FILES_MAX_BYTES: 1000 bytes/);
    const form = uploadErrorOf(400, "Unexpected file field - other", 1000);
    assert.deepEqual([form.status, form.code], [400, "invalid_multipart"]);
  });
});
