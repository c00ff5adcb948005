import { builder } from '../builder.ts';

/**
 * The closed sets of the API as GraphQL enums: the names on the wire are UPPER_CASE (as
 * TrainingStatus), the values inside the platform and in the stored event payloads stay as they
 * are ("no_drift"). docs/api-changes.md lists what changed on the wire.
 */
export const DriftTriggerEnum = builder.enumType('DriftTrigger', {
  description: 'What started a drift check.',
  values: {
    SCHEDULE: { value: 'schedule', description: 'The timer (DRIFT_CHECK_INTERVAL_SECONDS).' },
    ROWS: { value: 'rows', description: 'WINDOW_SIZE new rows since the last check.' },
    MANUAL: { value: 'manual', description: 'The checkDrift mutation.' },
  } as const,
});

export const DriftVerdictEnum = builder.enumType('DriftVerdict', {
  values: {
    DRIFT: { value: 'drift' },
    WARNING: {
      value: 'warning',
      description:
        'Features or the predicted-class mix moved, not acted on: labels come in and show no loss beyond what the model promised (or the features flagged only one check so far).',
    },
    STILL_DRIFTING: {
      value: 'still_drifting',
      description:
        'The drift an earlier check of the same version found, still there while the retrain that check queued is pending (or after it replaced the version while this check ran): not a new drift, nothing new done. `drifted` stays true; no drift.detected event.',
    },
    NO_DRIFT: { value: 'no_drift' },
    INSUFFICIENT_DATA: { value: 'insufficient_data', description: 'Too few rows on one side for a verdict.' },
  } as const,
});

export const DriftActionEnum = builder.enumType('DriftAction', {
  description: 'What a drift check did about its verdict.',
  values: {
    NONE: { value: 'none' },
    RETRAIN_QUEUED: { value: 'retrain_queued' },
    RETRAIN_PENDING: { value: 'retrain_pending', description: 'A retrain was already queued or running.' },
    COOLDOWN: { value: 'cooldown', description: 'The last drift-triggered retrain is too recent.' },
    INSUFFICIENT_DATA: { value: 'insufficient_data' },
  } as const,
});

export const DriftCheckSkippedEnum = builder.enumType('DriftCheckSkipped', {
  description: 'Why checkDrift answered without a check.',
  values: {
    NO_MODEL: {
      value: 'no_model',
      description: 'Nothing serves yet (the first retrain may have been queued).',
    },
    PENDING: {
      value: 'pending',
      description: 'Queued, not finished within DRIFT_CHECK_WAIT_SECONDS: it will arrive on driftChecked.',
    },
  } as const,
});

export const TrainingOutcomeEnum = builder.enumType('TrainingOutcome', {
  values: {
    PROMOTED: { value: 'promoted' },
    REJECTED: {
      value: 'rejected',
      description: 'Trained, not better than the champion: registered, not serving.',
    },
    INSUFFICIENT_DATA: { value: 'insufficient_data' },
    MODEL_TOO_LARGE: {
      value: 'model_too_large',
      description: 'Would not fit MAX_MODEL_BYTES: not registered.',
    },
    ERROR: { value: 'error' },
    REPROMOTED: {
      value: 'repromoted',
      description:
        'A drift retrain ended without training: an archived version fits the rows since the change better than the serving one and keeps its promise there, and serves again (resultVersion).',
    },
    SUPERSEDED: {
      value: 'superseded',
      description:
        'A growth retrain ended by a drift check: it read its rows before a concept change located meanwhile, and the retrain for that change goes next.',
    },
  } as const,
});

export const ModelChangeActionEnum = builder.enumType('ModelChangeAction', {
  description: 'How the serving version changed.',
  values: {
    PROMOTED: { value: 'promoted' },
    ROLLED_BACK: { value: 'rolled_back' },
    MANUAL_PROMOTE: { value: 'manual_promote', description: 'promoteModel by a person.' },
  } as const,
});
