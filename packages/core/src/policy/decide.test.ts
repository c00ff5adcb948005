import { detectConceptDrift } from '@automl-stream/drift';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG } from './config.ts';
import { decide } from './decide.ts';
import type { GateDecision } from './gate.ts';
import { riseAt } from './lineage.ts';
import { chunk, columns, evidence, type OutcomeRow, outcomes, seeded, serving, version } from './testing.ts';
import { applyTrainingResult, initialPolicyState, queueJob, requestRetrain } from './transitions.ts';
import type { Decision, Evidence, PolicyAction, PolicyState } from './types.ts';

/** Feeds `fresh` to decide() in batches of 25, the lineage growing as it goes; stops at `until`. */
function replay(
  state: PolicyState,
  history: OutcomeRow[],
  fresh: OutcomeRow[],
  until: (actions: PolicyAction[]) => boolean = () => false,
  extra: (at: number) => Partial<Evidence> = () => ({}),
  window = 20_000,
): { state: PolicyState; actions: PolicyAction[]; at: number; decisions: Decision[] } {
  const lineage = [...history];
  const actions: PolicyAction[] = [];
  const decisions: Decision[] = [];
  let s = state;
  for (let i = 0; i < fresh.length; i += 25) {
    const batch = fresh.slice(i, i + 25);
    lineage.push(...batch);
    const at = batch.at(-1)!.servedAt + 1;
    const d = decide(s, evidence(at, batch, lineage.slice(-window), extra(at)));
    s = d.state;
    decisions.push(d);
    actions.push(...d.actions);
    if (until(d.actions)) return { state: s, actions, at, decisions };
  }
  return { state: s, actions, at: fresh.at(-1)!.servedAt + 1, decisions };
}

const promoteGate: GateDecision = {
  decision: 'promote',
  version: null,
  metric: 'accuracy',
  challengerScore: 0.9,
  championScore: 0.6,
  difference: 0.3,
  lowerBound: 0.2,
  requeueSince: null,
  explanation: { signal: 'gate', summary: 'test', evidence: {}, decision: 'promote', cost: null },
};

const queued = (actions: PolicyAction[]) =>
  actions.filter((a) => a.type === 'queue_retrain' && a.job.trigger !== 'growth');

describe('D1: a version bad from its first row is caught through the lineage', () => {
  // The reported run: v1 serves at 5 % error; the stream changes at 3,000; a forced retrain from
  // 2,550 gives v2, trained mostly on the old concept, whose hold-out (the newest rows of its
  // window, straddling the change) already shows 22 % error; v2 serves from 3,150 at 25 %.
  const random = seeded(21);
  const v1Rows = [...outcomes(random, 0, 3000, 1, 0.05), ...outcomes(random, 3000, 150, 1, 0.25)];
  const v2Rows = outcomes(random, 3150, 3000, 2, 0.25);
  const v1 = version(1, { holdout: { n: 1000, errors: 50, classes: [] } });
  const v2 = version(2, {
    since: 2550,
    sinceKind: 'forced',
    lineageError: 0.05,
    holdout: { n: 100, errors: 22, classes: [] },
  });

  it("fails with today's approach: ADWIN on the version's own errors sees no rise", () => {
    expect(
      detectConceptDrift(
        v2Rows.map((r) => r.wrong),
        [],
      ).detected,
    ).toBe(false);
  });

  it('alarms within 2,000 outcomes and retrains from the located change', () => {
    const state = serving(v2, 3150, columns(v1Rows), { previous: v1 });
    // Its promise is the lineage's error + 2 points, not its contaminated hold-out.
    expect(state.serving!.level.b).toBeCloseTo(0.07, 10);
    const run = replay(state, v1Rows, v2Rows, (a) => queued(a).length > 0);
    const [action] = queued(run.actions);
    expect(action).toBeDefined();
    expect(run.at - 3150).toBeLessThan(2000);
    const job = (action as Extract<PolicyAction, { type: 'queue_retrain' }>).job;
    expect(job.since).toBeGreaterThanOrEqual(2950);
    expect(job.since).toBeLessThanOrEqual(3150);
    expect(job.championFlagged).toBe(true);
    expect(action!.explanation.evidence).toMatchObject({ alarm: true, test: 'level CUSUM', promised: 0.07 });
    expect(action!.explanation.decision).toMatch(/queue retrain job/);
  });

  it('rolls back instead when the replaced version, scored on the same rows, is better', () => {
    const state = serving(v2, 3150, columns(v1Rows), { previous: v1 });
    const shadowed = v2Rows.map((r) => ({ ...r, previousWrong: random() < 0.05 ? 1 : 0 }));
    const run = replay(state, v1Rows, shadowed, (a) => a.some((x) => x.type === 'rollback'));
    const rollback = run.actions.find((a) => a.type === 'rollback');
    expect(rollback).toMatchObject({ from: 2, to: 1 });
    expect(run.state.serving!.version).toBe(1);
    expect(rollback!.explanation.decision).toMatch(/roll back to v1: on the same \d+ rows it is better/);
  });
});

describe('labels decide, features warn (P3)', () => {
  const random = seeded(22);
  const history = outcomes(random, 0, 4000, 1, 0.05);
  const base = serving(version(1), 500, columns(history));

  it('a small (400-row) reference gives advisory verdicts only, however small the p-value (D9)', () => {
    let state = base;
    const actions: PolicyAction[] = [];
    for (let c = 0; c < 4; c++) {
      const d = decide(
        state,
        evidence(4000 + 500 * (c + 1), [], history, {
          chunks: [chunk(4000 + 500 * c, 4500 + 500 * c, [1e-9, 0.5], 400)],
        }),
      );
      state = d.state;
      actions.push(...d.actions);
      expect(d.verdict.explanations.some((e) => e.signal === 'data' && e.evidence.advisory === true)).toBe(
        true,
      );
    }
    expect(actions.filter((a) => a.type === 'warn' || a.type === 'queue_retrain')).toEqual([]);
  });

  it('with a real reference, two flagged chunks in a row warn, and never retrain while labels come in', () => {
    let state = base;
    const actions: PolicyAction[] = [];
    for (let c = 0; c < 2; c++) {
      const d = decide(
        state,
        evidence(4500 + 500 * c, [], history, {
          chunks: [chunk(4000 + 500 * c, 4500 + 500 * c, [1e-9, 0.5], 2000)],
        }),
      );
      state = d.state;
      actions.push(...d.actions);
      if (c === 0) expect(d.actions).toEqual([]);
    }
    expect(actions.map((a) => a.type)).toEqual(['warn']);
    expect(actions[0]!.explanation.decision).toMatch(/no retrain, labels decide/);
  });

  it('without labels, a confirmed drift queues a retrain with two candidate windows', () => {
    let state = base;
    const actions: PolicyAction[] = [];
    for (let c = 0; c < 2; c++) {
      const d = decide(
        state,
        evidence(4500 + 500 * c, [], history, {
          chunks: [chunk(4000 + 500 * c, 4500 + 500 * c, [1e-9, 0.5], 2000)],
          recent: { served: 5000, labelled: 0 },
        }),
      );
      state = d.state;
      actions.push(...d.actions);
    }
    const job = actions.find((a) => a.type === 'queue_retrain');
    expect(job).toMatchObject({ job: { trigger: 'data', since: 4000 } });
  });

  it('accepts persistent drift in a feature the model does not use (a row counter) instead of warning forever', () => {
    let state = base;
    const actions: PolicyAction[] = [];
    for (let c = 0; c < 6; c++) {
      const d = decide(
        state,
        evidence(4500 + 500 * c, [], history, {
          chunks: [chunk(4000 + 500 * c, 4500 + 500 * c, [0.5, 1e-12], 2000, [true, false])],
        }),
      );
      state = d.state;
      actions.push(...d.actions);
    }
    expect(actions.map((a) => a.type)).toEqual(['accept_drift']);
    expect(state.data.muted).toEqual([1]);
  });
});

describe('pending jobs (P5)', () => {
  const random = seeded(23);
  const history = outcomes(random, 0, 2600, 1, 0.05);

  it('retargets a waiting job to a change located after its start (A16)', () => {
    const state = requestRetrain(serving(version(1), 500, columns(history)), {
      since: 2550,
      reason: 'forced',
      now: { position: 2600, seconds: 2600 },
      lineage: columns(history),
    }).state;
    const fresh = [...outcomes(random, 2600, 100, 1, 0.05), ...outcomes(random, 2700, 600, 1, 0.25)];
    // At 1 row/s the forced job keeps waiting while the change shows.
    const run = replay(
      state,
      history,
      fresh,
      (a) => a.some((x) => x.type === 'retarget'),
      (at) => ({ now: { position: at, seconds: at } }),
    );
    const retarget = run.actions.find((a) => a.type === 'retarget');
    expect(retarget).toMatchObject({ from: 2550 });
    expect(Math.abs((retarget as { to: number }).to - 2700)).toBeLessThan(60);
    expect(run.state.jobs[0]).toMatchObject({ status: 'waiting', sinceKind: 'change' });
  });

  it('moves a forced window that straddles a change to the change before training, without an alarm', () => {
    const state = requestRetrain(serving(version(1), 500, columns(history)), {
      since: 2550,
      reason: 'forced',
      now: { position: 2600, seconds: 2600 },
      lineage: columns(history),
    }).state;
    const rows = [
      ...history,
      ...outcomes(random, 2600, 100, 1, 0.05),
      ...outcomes(random, 2700, 350, 1, 0.2),
    ];
    // The new outcomes are not fed to the level test here: only the window check can act.
    let d = decide(state, evidence(3050, [], rows));
    expect(d.actions.map((a) => a.type)).toEqual(['retarget']);
    const moved = d.actions[0] as Extract<PolicyAction, { type: 'retarget' }>;
    expect(moved.from).toBe(2550);
    expect(Math.abs(moved.to - 2700)).toBeLessThan(40);
    expect(moved.explanation.evidence.riseZ as number).toBeGreaterThanOrEqual(3.5);
    expect(d.state.jobs[0]).toMatchObject({ status: 'waiting', since: moved.to, sinceKind: 'change' });
    // It trains once MIN_TRAIN_ROWS rows served after the change are in, on them only.
    const more = outcomes(random, 3050, 200, 1, 0.2);
    d = decide(d.state, evidence(3250, [], [...rows, ...more]));
    expect(d.actions).toContainEqual(
      expect.objectContaining({ type: 'start_training', candidates: [{ since: moved.to, until: 3251 }] }),
    );
  });

  describe('a retrain from a located change whose errors rose again inside its window (gradual drift)', () => {
    const random = seeded(31);
    const before = outcomes(random, 0, 2000, 1, 0.05);
    const located = (config: Partial<typeof DEFAULT_POLICY_CONFIG> = {}) =>
      queueJob(serving(version(1), 500, columns(before), { config }), {
        trigger: 'level',
        since: 2000,
        sinceKind: 'change',
        queuedAt: { position: 2100, seconds: 2100 },
        championFlagged: true,
        lineageError: 0.05,
        reason: 'level alarm',
      }).state;
    const gradual = [
      ...before,
      ...outcomes(random, 2000, 250, 1, 0.15),
      ...outcomes(random, 2250, 250, 1, 0.45),
    ];

    it('moves to the second rise before training, once', () => {
      let d = decide(located({ moveLocatedWindow: true }), evidence(2500, [], gradual));
      expect(d.actions.map((a) => a.type)).toEqual(['retarget']);
      const moved = d.actions[0] as Extract<PolicyAction, { type: 'retarget' }>;
      expect(moved.from).toBe(2000);
      expect(Math.abs(moved.to - 2250)).toBeLessThan(40);
      expect(d.state.jobs[0]).toMatchObject({ status: 'waiting', since: moved.to, movedInWindow: true });
      // A further rise after the move does not move it again: a drift that never stops still retrains.
      const more = [
        ...gradual,
        ...outcomes(random, 2500, 300, 1, 0.45),
        ...outcomes(random, 2800, 250, 1, 0.8),
      ];
      d = decide(d.state, evidence(3050, [], more));
      expect(d.actions).toEqual([
        expect.objectContaining({ type: 'start_training', candidates: [{ since: moved.to, until: 3051 }] }),
      ]);
    });

    it('trains at once after an abrupt change (no second rise), or with the rule off', () => {
      const abrupt = [...before, ...outcomes(random, 2000, 500, 1, 0.3)];
      for (const [config, rows] of [
        [{}, abrupt],
        [{ moveLocatedWindow: false }, gradual],
      ] as const) {
        const d = decide(located(config), evidence(2500, [], rows));
        expect(d.actions).toEqual([
          expect.objectContaining({ type: 'start_training', candidates: [{ since: 2000, until: 2501 }] }),
        ]);
      }
    });
  });

  describe('a second rise inside a located window that is no gradual concept drift', () => {
    const random = seeded(32);
    const before = outcomes(random, 0, 2000, 1, 0.05);
    const gradual = [
      ...before,
      ...outcomes(random, 2000, 250, 1, 0.15),
      ...outcomes(random, 2250, 250, 1, 0.45),
    ];
    const withJob = (trigger: 'level' | 'manual' | 'growth', since = 2000) =>
      queueJob(serving(version(1), 500, columns(before)), {
        trigger,
        since,
        sinceKind: 'change',
        queuedAt: { position: 2100, seconds: 2100 },
        championFlagged: trigger !== 'growth',
        lineageError: 0.05,
        reason: 'test',
      }).state;
    const trainsFrom = (d: Decision, since: number) =>
      expect(d.actions.filter((a) => a.type !== 'warn')).toEqual([
        expect.objectContaining({ type: 'start_training', candidates: [{ since, until: 2501 }] }),
      ]);

    it('stays when the features moved in the window (covariate shift: the older rows keep their labels)', () => {
      // An advisory chunk (a 400-row reference) still says the features moved.
      const moved = chunk(2000, 2500, [1e-6, 0.5], 400);
      trainsFrom(decide(withJob('level'), evidence(2500, [], gradual, { chunks: [moved] })), 2000);
      const still = chunk(2000, 2500, [0.4, 0.5], 400);
      const d = decide(withJob('level'), evidence(2500, [], gradual, { chunks: [still] }));
      expect(d.actions.map((a) => a.type)).toEqual(['retarget']);
    });

    it('leaves a forced window that a level alarm already moved to a change where it is', () => {
      // requestRetrain's job, retargeted by an alarm: sinceKind 'change', trigger 'manual'.
      trainsFrom(decide(withJob('manual'), evidence(2500, [], gradual)), 2000);
    });

    it('moves a growth window only when the rise has 100 outcomes after it (a split at the tail is chance)', () => {
      const tail = [
        ...before,
        ...outcomes(random, 2000, 470, 1, 0.05),
        ...outcomes(random, 2470, 30, 1, 0.6),
      ];
      trainsFrom(decide(withJob('growth'), evidence(2500, [], tail)), 2000);
      const d = decide(withJob('growth'), evidence(2500, [], gradual));
      expect(d.actions.map((a) => a.type)).toEqual(['retarget']);
    });
  });

  describe('a retrain from a located change under a covariate shift (the features moved)', () => {
    const random = seeded(33);
    const rows = [...outcomes(random, 0, 2300, 1, 0.05), ...outcomes(random, 2300, 200, 1, 0.4)];
    const waiting = (config: Partial<typeof DEFAULT_POLICY_CONFIG> = {}) =>
      queueJob(serving(version(1), 500, columns(rows.slice(0, 2300)), { config }), {
        trigger: 'level',
        since: 2300,
        sinceKind: 'change',
        queuedAt: { position: 2400, seconds: 48 },
        championFlagged: true,
        lineageError: 0.05,
        reason: 'level alarm',
      }).state;
    // Two advisory chunks in a row (a 400-row reference) that flagged the features: a confirmed shift.
    const moved = {
      chunks: [chunk(1500, 2000, [1e-5, 0.5], 400), chunk(2000, 2500, [1e-6, 0.5], 400)],
    };

    it('trains at once on the newest WINDOW_SIZE rows, reaching back before the change', () => {
      const d = decide(waiting(), evidence(2500, [], rows, moved));
      const start = d.actions.find((a) => a.type === 'start_training');
      expect(start).toMatchObject({ candidates: [{ since: 2000, until: 2501 }] });
      expect(start?.explanation.decision).toMatch(/reaches back from the located change at 2300/);
      expect(d.state.jobs[0]).toMatchObject({ status: 'training', since: 2000, reachedBackFrom: 2300 });
    });

    it('reaches back when the flagged chunks end less than a chunk before the change (the next is not in yet)', () => {
      // The alarm comes before the chunk holding the change is complete: the newest tested chunks,
      // ending 100 rows before the change, say the features had moved (T7, seasons).
      const before = {
        chunks: [chunk(1200, 1700, [1e-5, 0.5], 400), chunk(1700, 2200, [1e-6, 0.5], 400)],
      };
      const d = decide(waiting(), evidence(2500, [], rows, before));
      expect(d.actions.find((a) => a.type === 'start_training')).toMatchObject({
        candidates: [{ since: 2000, until: 2501 }],
      });
      // Flagged chunks that ended more than a chunk before the change are old news.
      const old = { chunks: [chunk(700, 1200, [1e-5, 0.5], 400), chunk(1200, 1700, [1e-6, 0.5], 400)] };
      const w = decide(waiting(), evidence(2500, [], rows, old));
      expect(w.actions.some((a) => a.type === 'start_training')).toBe(false);
      expect(w.state.jobs[0]).toMatchObject({ status: 'waiting', since: 2300 });
    });

    it('confirms the shift with the rows served since the newest flagged chunk, tested when the job asks', () => {
      // One closed chunk flagged, ending at the change; the next is 200 rows into its 500 (T9's
      // alarm, 200 hours after the chunk that flagged the season's temperatures).
      const one = { chunks: [chunk(1300, 1800, [0.4, 0.5], 400), chunk(1800, 2300, [1e-5, 0.5], 400)] };
      const open = (p: number) => () => chunk(2300, 2500, [p, 0.5], 400);
      const d = decide(waiting(), evidence(2500, [], rows, { ...one, openChunk: open(1e-6) }));
      expect(d.actions.find((a) => a.type === 'start_training')).toMatchObject({
        candidates: [{ since: 2000, until: 2501 }],
      });
      expect(d.state.jobs[0]).toMatchObject({ status: 'training', since: 2000, reachedBackFrom: 2300 });
      // The open rows did not move, the rule is off, or there are too few of them to test (null).
      for (const [state, openChunk] of [
        [waiting(), open(0.3)],
        [waiting({ reachBackOnOpenChunk: false }), open(1e-6)],
        [waiting(), () => null],
      ] as const) {
        const w = decide(state, evidence(2500, [], rows, { ...one, openChunk }));
        expect(w.actions.some((a) => a.type === 'start_training')).toBe(false);
        expect(w.state.jobs[0]).toMatchObject({ status: 'waiting', since: 2300 });
      }
    });

    it('waits for MIN_TRAIN_ROWS rows after the change when the shift is not confirmed, or with the rule off', () => {
      const still = { chunks: [chunk(2000, 2500, [0.4, 0.5], 400)] };
      // One flagged chunk is a 1-in-100 chance under no shift: not enough to train on older rows.
      const once = { chunks: [chunk(1500, 2000, [0.4, 0.5], 400), chunk(2000, 2500, [1e-6, 0.5], 400)] };
      for (const [state, extra] of [
        [waiting(), still],
        [waiting(), once],
        [waiting({ reachBackOnShift: false }), moved],
      ] as const) {
        const d = decide(state, evidence(2500, [], rows, extra));
        expect(d.actions.some((a) => a.type === 'start_training')).toBe(false);
        expect(d.state.jobs[0]).toMatchObject({ status: 'waiting', since: 2300 });
      }
    });
  });

  it('leaves a forced window alone when its errors did not rise', () => {
    const state = requestRetrain(serving(version(1), 500, columns(history)), {
      since: 2550,
      reason: 'forced',
      now: { position: 2600, seconds: 2600 },
      lineage: columns(history),
    }).state;
    const rows = [...history, ...outcomes(random, 2600, 450, 1, 0.05)];
    const d = decide(state, evidence(3050, [], rows));
    expect(d.actions).toEqual([
      expect.objectContaining({ type: 'start_training', candidates: [{ since: 2550, until: 3051 }] }),
    ]);
  });

  it('measures the rise at a later located point against the rows since the job started', () => {
    const rows = columns([...outcomes(random, 0, 300, 1, 0.05), ...outcomes(random, 300, 300, 1, 0.3)]);
    // From 0: the rows before 300 kept a 5 % level, the rise at 300 is real.
    const real = riseAt(rows, 0, 300)!;
    expect(real.nBefore).toBe(300);
    expect(real.before).toBeLessThan(0.1);
    expect(real.z).toBeGreaterThan(5);
    // From 300 (a job already at the change), a point at 450 is inside the new regime.
    const inside = riseAt(rows, 300, 450)!;
    expect(inside.before).toBeGreaterThan(0.2);
    expect(inside.z).toBeLessThan(2);
  });

  it('asks to score the archived versions while a retrain from a change waits, at 50 rows then each doubling', () => {
    const lineage = columns(history);
    let state = serving(version(2, { since: 1000, sinceKind: 'change' }), 1500, lineage, {
      previous: version(1),
    });
    state = {
      ...state,
      jobs: [
        {
          id: 7,
          trigger: 'level',
          since: 2600,
          sinceKind: 'change',
          status: 'waiting',
          queuedAt: { position: 2600, seconds: 52 },
          waitUntil: 1e9,
          reschedules: 0,
          archivedCheckAt: 50,
          championFlagged: true,
          lineageError: 0.05,
          reason: 'test',
        },
      ],
    };
    const rows = (n: number) => [...history, ...outcomes(random, 2600, n, 2, 0.05)];
    let d = decide(state, evidence(2640, [], rows(40)));
    expect(d.actions.map((a) => a.type)).toEqual([]);
    d = decide(state, evidence(2660, [], rows(60)));
    expect(d.actions).toEqual([expect.objectContaining({ type: 'check_archived', jobId: 7, since: 2600 })]);
    expect(d.state.jobs[0]!.archivedCheckAt).toBe(120);
    expect(decide(d.state, evidence(2700, [], rows(100))).actions).toEqual([]);
  });

  it('reschedules a job short of rows instead of widening its window (D12), then starts it', () => {
    let state = requestRetrain(serving(version(1), 500, columns(history)), {
      since: 2500,
      reason: 'forced',
      now: { position: 2600, seconds: 100 },
      lineage: columns(history),
    }).state;
    let d = decide(state, evidence(2600, [], history, { now: { position: 2600, seconds: 401 } }));
    expect(d.actions.map((a) => a.type)).toEqual(['reschedule']);
    expect(d.actions[0]!.explanation.decision).toMatch(/never reaches back before position 2500/);
    state = d.state;
    const more = outcomes(random, 2600, 400, 1, 0.05);
    d = decide(state, evidence(3000, more, [...history, ...more], { now: { position: 3000, seconds: 420 } }));
    expect(d.actions).toContainEqual(
      expect.objectContaining({ type: 'start_training', candidates: [{ since: 2500, until: 3001 }] }),
    );
  });
});

describe('back-off and acceptance (P7)', () => {
  const rejected = (jobId: number): GateDecision => ({
    decision: 'reject',
    version: null,
    metric: 'accuracy',
    challengerScore: 0.8,
    championScore: 0.8,
    difference: 0,
    lowerBound: -0.05,
    requeueSince: null,
    explanation: { signal: 'gate', summary: `job ${jobId}`, evidence: {}, decision: 'reject', cost: null },
  });

  it('doubles the cooldown per rejected retrain and accepts the level after three', () => {
    const random = seeded(24);
    const history = outcomes(random, 0, 3000, 1, 0.05);
    let state = serving(version(1), 500, columns(history));
    state = { ...state, labelledTotal: 3000 };
    const cooldowns: number[] = [];
    for (let k = 0; k < 3; k++) {
      state = {
        ...state,
        jobs: [
          {
            id: 90 + k,
            trigger: 'level',
            since: 2000,
            sinceKind: 'change',
            status: 'training',
            queuedAt: { position: 3000, seconds: 60 },
            waitUntil: 360,
            reschedules: 0,
            archivedCheckAt: 50,
            championFlagged: true,
            lineageError: 0.05,
            reason: 'test',
          },
        ],
      };
      state = applyTrainingResult(state, {
        jobId: 90 + k,
        gate: rejected(90 + k),
        challenger: version(10 + k),
        now: { position: 3000, seconds: 60 },
        lineage: columns(history),
      }).state;
      cooldowns.push(state.cooldownUntil - state.labelledTotal);
    }
    expect(cooldowns).toEqual([1000, 2000, 4000]);
    expect(state.rejections.level).toBe(3);
    // Past the cooldown, the next alarm accepts the drift instead of a fourth retrain.
    state = { ...state, labelledTotal: state.cooldownUntil };
    const bad = outcomes(random, 3000, 3000, 1, 0.2);
    const run = replay(state, history, bad, (a) => a.length > 0);
    expect(run.actions.map((a) => a.type)).toEqual(['accept_drift']);
    expect(run.state.serving!.level.b).toBeGreaterThan(0.15);
  });
});

describe('after a rejected retrain (gradual drift)', () => {
  const levelJob = (id: number, since: number, status: 'waiting' | 'training') => ({
    id,
    trigger: 'level' as const,
    since,
    sinceKind: 'change' as const,
    status,
    queuedAt: { position: since, seconds: since / 50 },
    waitUntil: since / 50 + 300,
    reschedules: 0,
    archivedCheckAt: 50,
    championFlagged: true,
    lineageError: 0.05,
    reason: 'test',
  });
  const gate = (evidence: Record<string, number> = {}): GateDecision => ({
    decision: 'reject',
    version: null,
    metric: 'accuracy',
    challengerScore: 0.6,
    championScore: 0.6,
    difference: 0,
    lowerBound: -0.05,
    requeueSince: null,
    explanation: { signal: 'gate', summary: 'test', evidence, decision: 'reject', cost: null },
  });
  const random = seeded(31);
  // v1 kept 5 % until 3,000; its errors rose to 40 % from 3,000 on; a retrain from 3,000 was
  // rejected at 3,500 (its window was no better than v1), and the errors keep rising.
  const history = [...outcomes(random, 0, 3000, 1, 0.05), ...outcomes(random, 3000, 500, 1, 0.4)];
  const rejectedAt = (evidence?: Record<string, number>) => {
    let state = serving(version(1), 500, columns(history));
    state = { ...state, labelledTotal: 3500, jobs: [levelJob(7, 3000, 'training')] };
    return applyTrainingResult(state, {
      jobId: 7,
      gate: gate(evidence),
      challenger: version(8),
      now: { position: 3500, seconds: 70 },
      lineage: columns(history),
    }).state;
  };

  it('retrains from where the errors rose again, without waiting out the back-off', () => {
    const state = rejectedAt();
    expect(state.cooldownUntil).toBe(4500);
    const run = replay(state, history, outcomes(random, 3500, 1000, 1, 0.7), (a) => queued(a).length > 0);
    const job = queued(run.actions)[0];
    expect(job?.type === 'queue_retrain' && job.job.since).toBeGreaterThanOrEqual(3500);
    expect(run.at).toBeLessThan(state.cooldownUntil);
    // It already starts where the errors rose again: its window is not moved a second time.
    expect(job).toMatchObject({ job: { movedInWindow: true } });
  });

  it('queues the retrain again from the rise the gate found in the lost window, moved once', () => {
    const state = applyTrainingResult(
      { ...serving(version(1), 500, columns(history)), jobs: [levelJob(7, 3000, 'training')] },
      {
        jobId: 7,
        gate: { ...gate(), requeueSince: 3300 },
        challenger: version(8),
        now: { position: 3500, seconds: 70 },
        lineage: columns(history),
      },
    ).state;
    expect(state.jobs).toEqual([
      expect.objectContaining({ trigger: 'level', since: 3300, sinceKind: 'change', movedInWindow: true }),
    ]);
  });

  it('serves a challenger promoted on the newest rows and queues the retrain from the rise as well', () => {
    const state = applyTrainingResult(
      { ...serving(version(1), 500, columns(history)), jobs: [levelJob(7, 3000, 'training')] },
      {
        jobId: 7,
        gate: { ...gate(), decision: 'promote', requeueSince: 3300 },
        challenger: version(8),
        now: { position: 3500, seconds: 70 },
        lineage: columns(history),
      },
    ).state;
    expect(state.serving?.version).toBe(8);
    expect(state.jobs).toEqual([
      expect.objectContaining({ trigger: 'level', since: 3300, sinceKind: 'change', movedInWindow: true }),
    ]);
  });

  it('keeps the back-off for an alarm whose evidence began before the rejection', () => {
    let state = rejectedAt();
    state = { ...state, lastRejected: { since: 3000, at: 4000 } };
    const run = replay(state, history, outcomes(random, 3500, 400, 1, 0.7), (a) => queued(a).length > 0);
    expect(queued(run.actions)).toEqual([]);
  });

  it('keeps the promise when the regression check refused (the drift may be going on)', () => {
    let state = rejectedAt();
    state = { ...state, serving: { ...state.serving!, outcomes: 3000, errors: 600 } };
    state = { ...state, jobs: [levelJob(9, 3000, 'training')] };
    const b = state.serving!.level.b;
    const refused = (evidence: Record<string, number>) =>
      applyTrainingResult(state, {
        jobId: 9,
        gate: gate(evidence),
        challenger: version(10),
        now: { position: 3600, seconds: 72 },
        lineage: columns(history),
      }).state.serving!.level.b;
    expect(refused({ lineageError: 0.05, regressionMargin: 0.05 })).toBe(b);
    expect(refused({})).toBeGreaterThan(0.15);
  });

  it('queues no second retrain while one trains, whatever the alarm located', () => {
    let state = serving(version(1), 500, columns(history));
    state = { ...state, labelledTotal: 3500, jobs: [levelJob(7, 2000, 'training')] };
    const run = replay(state, history, outcomes(random, 3500, 400, 1, 0.7), (a) => a.length > 0);
    expect(queued(run.actions)).toEqual([]);
  });
});

describe('label delay: evidence by serve time (D14)', () => {
  it('a change met by a version replaced before its labels came in is found in its late outcomes', () => {
    // v1 served rows 2,600–4,450; the stream changed at 3,000; labels come 2,000 rows late, so
    // v1's post-change outcomes arrive after v2 (a growth of the old regime) took over.
    const random = seeded(25);
    const early = outcomes(random, 0, 2600, -1, 0);
    const v1Rows = [...outcomes(random, 2600, 400, 1, 0.05), ...outcomes(random, 3000, 1450, 1, 0.25)];
    // At the promotion (4,450) only the labels of rows served before 2,450 have come in.
    const state = { ...serving(version(1), 2600, columns(early)), versions: {} as PolicyState['versions'] };
    const withV1 = { ...state, versions: { 1: version(1) } };
    const promoted = applyTrainingResult(
      {
        ...withV1,
        jobs: [
          {
            id: 7,
            trigger: 'growth',
            since: -1,
            sinceKind: 'bootstrap',
            status: 'training',
            queuedAt: { position: 4350, seconds: 0 },
            waitUntil: 300,
            reschedules: 0,
            archivedCheckAt: 50,
            championFlagged: false,
            lineageError: null,
            reason: 'growth',
          },
        ],
      },
      {
        jobId: 7,
        gate: {
          decision: 'promote',
          version: null,
          metric: 'accuracy',
          challengerScore: 0.95,
          championScore: 0.94,
          difference: 0.01,
          lowerBound: 0,
          requeueSince: null,
          explanation: { signal: 'gate', summary: '', evidence: {}, decision: 'promote', cost: null },
        },
        challenger: version(2, { trainRows: 1880 }),
        now: { position: 4450, seconds: 89 },
        lineage: columns(early),
      },
    ).state;
    expect(promoted.trailing.map((t) => t.version)).toEqual([1]);
    const run = replay(promoted, early, v1Rows, (a) => queued(a).length > 0);
    const job = queued(run.actions)[0] as Extract<PolicyAction, { type: 'queue_retrain' }>;
    expect(Math.abs(job.job.since - 3000)).toBeLessThan(60);
  });
});

describe('growth and stationarity', () => {
  it('queues a growth retrain once the regime has 4× the training rows and 2,000 more', () => {
    const random = seeded(26);
    const history = outcomes(random, 0, 600, -1, 0);
    const state = serving(version(1, { trainRows: 350 }), 600, columns(history));
    const run = replay(state, history, outcomes(random, 600, 2000, 1, 0.05), (a) =>
      a.some((x) => x.type === 'queue_retrain'),
    );
    const growth = run.actions.find((a) => a.type === 'queue_retrain');
    expect(growth).toMatchObject({ job: { trigger: 'growth', since: -1 } });
    expect(run.at).toBe(2350);
  });

  it('queues no growth while the serving version errs on fewer outcomes than the promotion tolerance, then does', () => {
    const random = seeded(26);
    const history = outcomes(random, 0, 600, -1, 0);
    const state = serving(version(1, { trainRows: 350 }), 600, columns(history));
    // 0.3 % wrong: a grown model could gain at most that, which the gate (1 point) cannot see.
    const clean = outcomes(random, 600, 2400, 1, 0.003);
    const quiet = replay(state, history, clean, (a) => a.some((x) => x.type === 'queue_retrain'));
    expect(quiet.actions.filter((a) => a.type === 'queue_retrain')).toEqual([]);
    // Once it errs on more than 1 % of its outcomes, the growth is due.
    const worse = replay(quiet.state, [...history, ...clean], outcomes(random, 3000, 4000, 1, 0.02), (a) =>
      a.some((x) => x.type === 'queue_retrain'),
    );
    expect(worse.actions.find((a) => a.type === 'queue_retrain')).toMatchObject({
      job: { trigger: 'growth' },
    });
    expect(worse.at).toBeGreaterThan(3000);
  });

  it('queues growth however few its errors when the gate weighs balanced accuracy (a rare class)', () => {
    const random = seeded(26);
    const history = outcomes(random, 0, 600, -1, 0);
    const holdout = {
      n: 1000,
      errors: 5,
      classes: [
        { label: 0, n: 980, errors: 1 },
        { label: 1, n: 20, errors: 4 },
      ],
    };
    const state = serving(version(1, { trainRows: 350, holdout }), 600, columns(history));
    const run = replay(state, history, outcomes(random, 600, 2000, 1, 0.003), (a) =>
      a.some((x) => x.type === 'queue_retrain'),
    );
    expect(run.actions.find((a) => a.type === 'queue_retrain')).toMatchObject({ job: { trigger: 'growth' } });
    expect(run.at).toBe(2350);
  });

  it('a version of a new regime grows at 4× again: growth rejected in the old regime is forgotten', () => {
    const random = seeded(29);
    const history = outcomes(random, 0, 3000, 1, 0.05);
    let state = serving(version(1, { trainRows: 2000 }), 500, columns(history));
    // A growth of v1 was rejected (its factor doubled); then a level retrain from 3,000 trained.
    state = { ...state, rejections: { level: 0, data: 0, growth: 1 } };
    state = queueJob(state, {
      trigger: 'level',
      since: 3000,
      sinceKind: 'change',
      queuedAt: { position: 3000, seconds: 60 },
      championFlagged: true,
      lineageError: 0.05,
      reason: 'level alarm',
    }).state;
    const rows = [...history, ...outcomes(random, 3000, 500, 1, 0.4)];
    const promoted = applyTrainingResult(state, {
      jobId: state.jobs[0]!.id,
      gate: { ...promoteGate },
      challenger: version(2, { since: 3000, sinceKind: 'change', trainRows: 500 }),
      now: { position: 3500, seconds: 70 },
      lineage: columns(rows),
    }).state;
    expect(promoted.rejections.growth).toBe(0);
    // 4 × 500 and 500 + 2,000 labelled rows of the new regime: growth at 5,500 (at 8× it would be 7,000).
    const run = replay(promoted, rows, outcomes(random, 3500, 3500, 2, 0.05), (a) =>
      a.some((x) => x.type === 'queue_retrain'),
    );
    expect(run.actions.find((a) => a.type === 'queue_retrain')).toMatchObject({
      job: { trigger: 'growth', since: 3000 },
    });
    expect(run.at).toBe(5500);
  });

  it('grows the first short version of a located change at 3×, the bootstrap at 4× (a gradual drift may still run through its window)', () => {
    const config = { growthMinExtra: 0 };
    const growthAt = (state: PolicyState, history: OutcomeRow[], from: number) => {
      const run = replay(state, history, outcomes(seeded(31), from, 5000, 2, 0.05), (a) =>
        a.some((x) => x.type === 'queue_retrain'),
      );
      expect(run.actions.find((a) => a.type === 'queue_retrain')).toMatchObject({
        job: { trigger: 'growth' },
      });
      return run.at;
    };
    const old = outcomes(seeded(30), 0, 3000, 1, 0.05);
    const ofRegime = (trainRows: number) =>
      serving(version(2, { since: 3000, sinceKind: 'change', trainRows }), 3000, columns(old), {
        config,
        previous: version(1, { trainRows: 3000 }),
      });
    // 3 × 400 labelled rows of the regime since 3,000.
    expect(growthAt(ofRegime(400), old, 3000)).toBe(4200);
    const boot = outcomes(seeded(32), 0, 400, -1, 0);
    const bootstrap = serving(version(2, { trainRows: 400 }), 400, columns(boot), { config });
    expect(growthAt(bootstrap, boot, 400)).toBe(1600);
    // A version of the regime trained on more than 2·MIN_TRAIN_ROWS rows is back at 4×.
    expect(growthAt(ofRegime(1200), old, 3000)).toBe(7800);
  });

  it('raises no alarm over 100,000 outcomes that keep the promise', () => {
    const random = seeded(27);
    const state = serving(version(1, { trainRows: 16_000 }), 0, columns([]), {
      config: { growthFactor: 1e9 },
    });
    // (A short lineage keeps the test fast: the level test reads only the new outcomes.)
    const run = replay(
      state,
      [],
      outcomes(random, 0, 100_000, 1, 0.05),
      () => false,
      () => ({}),
      500,
    );
    expect(run.actions).toEqual([]);
    expect(run.decisions.every((d) => d.verdict.status === 'ok')).toBe(true);
  });

  it('bootstraps: queues version 1 at once and starts it at MIN_TRAIN_ROWS labelled rows', () => {
    let d = decide(initialPolicyState(DEFAULT_POLICY_CONFIG), evidence(25, [], []));
    expect(d.actions.map((a) => a.type)).toEqual(['queue_retrain']);
    const rows = outcomes(seeded(28), 0, 500, -1, 0);
    d = decide(d.state, evidence(500, rows, rows));
    expect(d.actions).toEqual([
      expect.objectContaining({ type: 'start_training', candidates: [{ since: -1, until: 501 }] }),
    ]);
    expect(d.verdict.status).toBe('insufficient_data');
  });
});
