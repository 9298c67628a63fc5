/**
 * ListOptions validation as k8s.io/apimachinery/pkg/apis/meta/internalversion/validation/validation.go
 * ValidateListOptions does it (the 1.33 version, with the WatchList feature gate as a parameter), and as
 * handlers/get.go ListResource reports it: 422 Invalid on `ListOptions.meta.k8s.io ""`.
 */
import type { ListOptions } from '../k8s/list-options.js';
import type { Status } from '../k8s/status.js';
import { forbiddenField, invalidListOptions, notSupportedField, type FieldCause } from './api-errors.js';

const EXACT = 'Exact';
const NOT_OLDER_THAN = 'NotOlderThan';

function validateList(opts: ListOptions): FieldCause[] {
  const errs: FieldCause[] = [];
  const match = opts.resourceVersionMatch;
  if (match) {
    if (!opts.resourceVersion) {
      errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    }
    if (opts.continue) {
      errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    if (match !== EXACT && match !== NOT_OLDER_THAN) {
      errs.push(notSupportedField('resourceVersionMatch', match, [EXACT, NOT_OLDER_THAN, '']));
    }
    if (match === EXACT && opts.resourceVersion === '0') {
      errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (opts.sendInitialEvents !== undefined) {
    errs.push(forbiddenField('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  return errs;
}

function validateWatch(opts: ListOptions, watchListEnabled: boolean): FieldCause[] {
  const errs: FieldCause[] = [];
  const match = opts.resourceVersionMatch;
  if (opts.sendInitialEvents !== undefined) {
    if (match !== NOT_OLDER_THAN) {
      errs.push(forbiddenField('resourceVersionMatch', `sendInitialEvents requires setting resourceVersionMatch to ${NOT_OLDER_THAN}`));
    }
    if (!watchListEnabled) {
      errs.push(forbiddenField('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
    }
  }
  if (match) {
    if (opts.sendInitialEvents === undefined) {
      errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    }
    if (match !== NOT_OLDER_THAN) {
      errs.push(notSupportedField('resourceVersionMatch', match, [NOT_OLDER_THAN]));
    }
    if (opts.continue) {
      errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  }
  return errs;
}

/** The 422 Status for invalid options, or undefined when they are valid. */
export function validateListOptions(opts: ListOptions, watch: boolean, watchListEnabled: boolean): Status | undefined {
  const errs = watch ? validateWatch(opts, watchListEnabled) : validateList(opts);
  return errs.length > 0 ? invalidListOptions(errs) : undefined;
}
