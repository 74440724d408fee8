import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  followReference,
  MAX_FOLLOWED_DEPARTURES,
  type PromptedTarget,
  type ReferenceCompletion,
} from "./reference.js";

const END = 0;
const MAX_TOKENS = 10;

/**
 * A target whose one-token decode counts up (1, 2, 3, …) and whose one pass over several tokens
 * predicts otherwise after the contexts in `onePass`: the departure llama.cpp shows on some CPUs,
 * made by hand so the rule is tested on every CPU.
 */
class CountingTarget implements PromptedTarget {
  opened = 0;
  closed = 0;

  constructor(
    private readonly onePass: ReadonlyMap<string, number> = new Map(),
    /** Contexts after which one pass ranks these tokens a near tie with its best. */
    private readonly nearTies: ReadonlyMap<string, number> = new Map(),
  ) {}

  readonly open = (): Promise<PromptedTarget> => {
    this.opened++;
    return Promise.resolve(this);
  };

  private alone(tokens: readonly number[]): number {
    return (tokens.at(-1) ?? 0) + 1;
  }

  predictInOnePass(tokens: readonly number[]): Promise<number> {
    return Promise.resolve(this.onePass.get(tokens.join()) ?? this.alone(tokens));
  }

  nearTieInOnePass(tokens: readonly number[], token: number): Promise<boolean> {
    return Promise.resolve(this.nearTies.get(tokens.join()) === token);
  }

  complete(forced: readonly number[], maxTokens: number): Promise<ReferenceCompletion> {
    const tokens = forced.slice(0, maxTokens);
    while (tokens.length < maxTokens) tokens.push(this.alone(tokens));
    return Promise.resolve({ tokens, text: tokens.join(" "), finishReason: "length" });
  }

  ended(tokens: readonly number[]): ReferenceCompletion {
    return { tokens: [...tokens], text: tokens.join(" "), finishReason: "stop" };
  }

  isEndOfGeneration(token: number): boolean {
    return token === END;
  }

  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

const alone = (target: CountingTarget) => target.complete([], MAX_TOKENS);

describe("the test reference: following an answer's departure from the target alone", () => {
  it("takes an answer equal to the target alone as it is, without loading the target", async () => {
    const target = new CountingTarget();
    const reference = await alone(target);
    const result = await followReference(target.open, reference, [...reference.tokens], MAX_TOKENS);
    assert.equal(result, reference);
    assert.equal(target.opened, 0);
  });

  it("follows a departure the target predicts in one pass, then goes on as the target alone", async () => {
    const target = new CountingTarget(new Map([["1,2,3", 40]]));
    const reference = await alone(target);
    const answer = [1, 2, 3, 40, 41, 42, 43, 44, 45, 46];
    const result = await followReference(target.open, reference, answer, MAX_TOKENS);
    assert.deepEqual(result.tokens, answer);
    assert.equal(result.text, answer.join(" "));
    assert.deepEqual([target.opened, target.closed], [1, 1], "the target is closed after use");
  });

  it("keeps a departure the target does not predict in one pass, for the assertion to show", async () => {
    const target = new CountingTarget(new Map([["1,2,3", 40]]));
    const reference = await alone(target);
    const result = await followReference(target.open, reference, [1, 2, 3, 39, 40, 41, 42, 43, 44, 45], MAX_TOKENS);
    assert.deepEqual(result.tokens, reference.tokens);
    assert.equal(target.closed, 1);
  });

  it("follows a departure to a token one pass ranks a near tie with its best (a batch may flip those)", async () => {
    // One pass after 1,2,3 predicts 4 (as alone), with 40 within NEAR_TIE of it.
    const target = new CountingTarget(new Map(), new Map([["1,2,3", 40]]));
    const reference = await alone(target);
    const answer = [1, 2, 3, 40, 41, 42, 43, 44, 45, 46];
    const result = await followReference(target.open, reference, answer, MAX_TOKENS);
    assert.deepEqual(result.tokens, answer);
  });

  it("keeps a departure to a token that is not the near tie one pass ranks second", async () => {
    const target = new CountingTarget(new Map(), new Map([["1,2,3", 40]]));
    const reference = await alone(target);
    const result = await followReference(target.open, reference, [1, 2, 3, 39, 40, 41, 42, 43, 44, 45], MAX_TOKENS);
    assert.deepEqual(result.tokens, reference.tokens);
  });

  it("refuses an answer that goes wrong after a departure it followed", async () => {
    const target = new CountingTarget(new Map([["1,2,3", 40]]));
    const reference = await alone(target);
    const answer = [1, 2, 3, 40, 41, 7, 8, 9, 10, 11];
    const result = await followReference(target.open, reference, answer, MAX_TOKENS);
    assert.deepEqual(result.tokens, [1, 2, 3, 40, 41, 42, 43, 44, 45, 46]);
    assert.notDeepEqual(result.tokens, answer);
  });

  it("follows an answer that ends early only where the target ends the text in one pass", async () => {
    const goesOn = new CountingTarget();
    const reference = await alone(goesOn);
    assert.equal(await followReference(goesOn.open, reference, [1, 2, 3], MAX_TOKENS), reference);

    const ends = new CountingTarget(new Map([["1,2,3", END]]));
    const result = await followReference(ends.open, reference, [1, 2, 3], MAX_TOKENS);
    assert.deepEqual(result, { tokens: [1, 2, 3], text: "1 2 3", finishReason: "stop" });
  });

  it("refuses an answer longer than the target alone's", async () => {
    const target = new CountingTarget();
    const reference = await target.complete([], 4);
    const result = await followReference(target.open, reference, [1, 2, 3, 4, 5], 4);
    assert.equal(result, reference);
    assert.equal(target.opened, 0);
  });

  it(`follows at most ${MAX_FOLLOWED_DEPARTURES} departures in one answer`, async () => {
    // Each departure jumps by 10 after the token before it: 1, 12, 23, 34, 45, 56.
    const jumps = (count: number) => {
      const flips = new Map<string, number>();
      const answer = [1];
      for (let i = 0; i < count; i++) {
        flips.set(answer.join(), answer.at(-1)! + 11);
        answer.push(answer.at(-1)! + 11);
      }
      while (answer.length < MAX_TOKENS) answer.push(answer.at(-1)! + 1);
      return { flips, answer };
    };
    const atMost = jumps(MAX_FOLLOWED_DEPARTURES);
    const within = new CountingTarget(atMost.flips);
    const followed = await followReference(within.open, await alone(within), atMost.answer, MAX_TOKENS);
    assert.deepEqual(followed.tokens, atMost.answer);

    const tooMany = jumps(MAX_FOLLOWED_DEPARTURES + 1);
    const beyond = new CountingTarget(tooMany.flips);
    const refused = await followReference(beyond.open, await alone(beyond), tooMany.answer, MAX_TOKENS);
    assert.notDeepEqual(refused.tokens, tooMany.answer);
  });
});
