import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { floatToHalf, halfToFloat } from "#gguf";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The f32 whose bit pattern is one above/below x's (x > 0). */
function nextUp(x: number): number {
  f32[0] = x;
  u32[0] = u32[0]! + 1;
  return f32[0];
}
function nextDown(x: number): number {
  f32[0] = x;
  u32[0] = u32[0]! - 1;
  return f32[0];
}
const hex = (h: number) => `0x${h.toString(16).padStart(4, "0")}`;

describe("floatToHalf", () => {
  const cases: [string, number, number][] = [
    ["0", 0, 0x0000],
    ["-0", -0, 0x8000],
    ["1", 1, 0x3c00],
    ["-2", -2, 0xc000],
    ["0.5", 0.5, 0x3800],
    ["0.1 (rounded down)", 0.1, 0x2e66],
    ["1/3 (rounded down)", 1 / 3, 0x3555],
    ["65504, the largest half", 65504, 0x7bff],
    ["-65504", -65504, 0xfbff],
    ["65519, below the midpoint to 65536: 65504", 65519, 0x7bff],
    ["65520, the midpoint: rounds to even = Infinity", 65520, 0x7c00],
    ["1e5 overflows to Infinity", 1e5, 0x7c00],
    ["-1e5 overflows to -Infinity", -1e5, 0xfc00],
    ["Infinity", Infinity, 0x7c00],
    ["-Infinity", -Infinity, 0xfc00],
    ["2^-14, the smallest normal", 2 ** -14, 0x0400],
    ["2^-24, the smallest subnormal", 2 ** -24, 0x0001],
    ["-2^-24", -(2 ** -24), 0x8001],
    ["1023 * 2^-24, the largest subnormal", 1023 * 2 ** -24, 0x03ff],
    ["1e-8 underflows to 0", 1e-8, 0x0000],
    ["-1e-8 underflows to -0", -1e-8, 0x8000],
    ["1e-7 is the subnormal 2 * 2^-24", 1e-7, 0x0002],
    ["6e-8 is the subnormal 2^-24", 6e-8, 0x0001],
    ["1e-40 (an f32 subnormal) is 0", 1e-40, 0x0000],
    ["2^-25, halfway between 0 and 2^-24: even = 0", 2 ** -25, 0x0000],
    ["just above 2^-25: 2^-24", nextUp(2 ** -25), 0x0001],
    ["2^-26 is 0", 2 ** -26, 0x0000],
    ["1.5 * 2^-24, halfway between subnormals 1 and 2: even = 2", 1.5 * 2 ** -24, 0x0002],
    ["2.5 * 2^-24, halfway between subnormals 2 and 3: even = 2", 2.5 * 2 ** -24, 0x0002],
    ["1023.5 * 2^-24, halfway to the smallest normal: even = 0x400", 1023.5 * 2 ** -24, 0x0400],
    ["1 + 2^-11, halfway between 1 and 1 + 2^-10: even = 1", 1 + 2 ** -11, 0x3c00],
    ["1 + 3 * 2^-11, halfway between 0x3c01 and 0x3c02: even = 0x3c02", 1 + 3 * 2 ** -11, 0x3c02],
    ["just above 1 + 2^-11: up", nextUp(1 + 2 ** -11), 0x3c01],
    ["just below 1 + 3 * 2^-11: down", nextDown(1 + 3 * 2 ** -11), 0x3c01],
    ["2047 + 0.5 rounds to even 2048", 2047.5, 0x6800],
    ["2 - 2^-12 carries into the exponent: 2", 2 - 2 ** -12, 0x4000],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name} → ${hex(expected)}`, () => {
      assert.equal(hex(floatToHalf(input)), hex(expected));
    });
  }

  it("NaN stays a NaN (exponent all ones, mantissa non-zero)", () => {
    const h = floatToHalf(NaN);
    assert.equal(h & 0x7c00, 0x7c00);
    assert.notEqual(h & 0x03ff, 0);
    assert.equal(hex(h), "0x7e00");
    assert.ok(Number.isNaN(halfToFloat(h)));
  });

  it("every half survives half → float → half", () => {
    for (let h = 0; h <= 0xffff; h++) {
      const x = halfToFloat(h);
      if (Number.isNaN(x)) {
        assert.ok((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0, hex(h));
        assert.ok(Number.isNaN(halfToFloat(floatToHalf(x))));
        continue;
      }
      if (floatToHalf(x) !== h) assert.fail(`${hex(h)} → ${x} → ${hex(floatToHalf(x))}`);
    }
  });

  it("every midpoint between neighbouring finite halves rounds to the even one, its neighbours to the nearer", () => {
    for (const sign of [0, 0x8000]) {
      for (let h = 0; h < 0x7bff; h++) {
        const lo = halfToFloat(sign | h);
        const hi = halfToFloat(sign | (h + 1));
        const mid = (lo + hi) / 2; // 12 significant bits: exact in f32
        assert.equal(Math.fround(mid), mid);
        const even = h % 2 === 0 ? h : h + 1;
        const got = floatToHalf(mid);
        if (got !== (sign | even))
          assert.fail(
            `midpoint ${mid} of ${hex(sign | h)}/${hex(sign | (h + 1))} → ${hex(got)}, expected ${hex(sign | even)}`,
          );
        const toward = (x: number) => (sign ? -x : x);
        // Just inside the midpoint on either side (in magnitude).
        assert.equal(floatToHalf(toward(nextDown(Math.abs(mid)))), sign | h);
        assert.equal(floatToHalf(toward(nextUp(Math.abs(mid)))), sign | (h + 1));
      }
    }
  });
});

describe("halfToFloat", () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0xfbff, -65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [h, expected] of cases) {
    it(`${hex(h)} → ${expected}`, () => {
      assert.equal(halfToFloat(h), expected);
    });
  }

  it("0x8000 → -0", () => {
    assert.ok(Object.is(halfToFloat(0x8000), -0));
  });

  it("0x7e00 and 0xfc01 are NaN", () => {
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    assert.ok(Number.isNaN(halfToFloat(0xfc01)));
  });
});
