import type { Catalogue } from './catalogue';

/**
 * English. A domain refusal's English detail is the message it was raised with (it may name a limit
 * or an ID, never personal data); `codes` here holds the details of the HTTP edge's own problems.
 * `fields` holds the messages the request schemas write, exactly as they write them: a message found
 * here is translated by its key into the other catalogues.
 */
export const en: Catalogue = {
  titles: {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    410: 'Gone',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Content',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  },
  otherTitle: 'Error',
  codes: {
    validation_failed: 'the request has invalid fields',
    invalid_value: 'a value is out of range or contains characters that cannot be stored',
    database_unavailable: 'the database is unreachable; nothing was stored, retry later',
    internal_error: 'something went wrong on our side; the request ID helps us find it',
    unsupported_encoding: 'send UTF-8 JSON',
    malformed_json: 'the body is not valid JSON',
    body_too_large: 'the body is larger than the API accepts',
  },
  fields: {
    region_code: 'must be a 6-digit administrative region code',
    whole_yuan: 'must be whole yuan',
    amount_text: 'must be an amount in whole yuan: digits only',
    mainland_mobile: 'must be a mainland mobile number (11 digits starting 13-19)',
    case_id: 'must be a case ID (UUID)',
    complaint_id: 'must be a complaint ID (UUID)',
    from_before_to: 'from must be before to',
    period_max: 'the period may span at most 1,100 days',
    daily_max: 'daily figures cover at most 400 days',
    grade_or_suspension: 'give a grade, a suspension, or both',
    until_future: 'until must be in the future',
    complaint_phone: 'a complaint without a case needs the customer’s phone, to answer them',
    audit_key_id: 'a key ID is 16 hex digits',
    id_format: 'ID number must be 18 characters: 17 digits and a check digit (0-9 or X)',
    id_region: 'ID number does not start with a valid province code',
    id_birth_date: 'ID number does not contain a valid birth date',
    id_check_digit: 'ID number has a wrong check digit (GB 11643)',
    notice_content: 'a notice says what is collected, why, how, and what refusing means',
    id_or_phone: 'give an ID number, a phone, or both',
    min_not_above_max: 'each minimum must not exceed its maximum',
    listing_since: 'a listing needs the day it starts',
    until_after_since: 'until must not be before since',
    lender_ids_required: 'name the lenders lender_sharing is granted for',
    lender_ids_sharing_only: 'lenderIds go with lender_sharing only',
  },
  required: 'required',
};
