import { randomBytes } from 'node:crypto';
import { open, seal, type MasterKeyring } from '../../platform/crypto';

/**
 * Sealing a complaint's personal data (its description, the customer's contact, the notes people
 * add) with the project's envelope crypto (AES-256-GCM). Which data key seals it:
 * - A complaint about a case whose data key still exists is sealed under that case's data key. When
 *   the case is erased its key is destroyed, and the complaint's text becomes unreadable with it
 *   (crypto-shredding covers every copy, backups included).
 * - A complaint with no case (or about a case already erased) gets a data key of its own, wrapped
 *   by the master key like a case's; the complaint destroys it after its own retention.
 * Every sealed value is bound (as AAD) to its complaint and to what it is, so a value moved to
 * another row or field does not open.
 */

/** The case's data key, unwrapped (the same binding as the case's identity uses). */
export function unwrapCaseDataKey(
  caseId: string,
  wrappedKey: Buffer,
  masterKeyId: string,
  ring: MasterKeyring,
): Buffer {
  const master = ring.keys[masterKeyId];
  if (!master) throw new Error(`master key ${masterKeyId} is not in the keyring`);
  return open(wrappedKey, master, `${caseId}:${masterKeyId}`);
}

const complaintKeyAad = (complaintId: string, masterKeyId: string) => `complaint:${complaintId}:${masterKeyId}`;

/** A new data key for one complaint, and its wrapped form to store in `complaint_data_keys`. */
export function newComplaintDataKey(
  complaintId: string,
  ring: MasterKeyring,
): { dataKey: Buffer; wrappedKey: Buffer; masterKeyId: string } {
  const dataKey = randomBytes(32);
  return {
    dataKey,
    wrappedKey: seal(dataKey, ring.keys[ring.currentId]!, complaintKeyAad(complaintId, ring.currentId)),
    masterKeyId: ring.currentId,
  };
}

export function unwrapComplaintDataKey(
  complaintId: string,
  wrappedKey: Buffer,
  masterKeyId: string,
  ring: MasterKeyring,
): Buffer {
  const master = ring.keys[masterKeyId];
  if (!master) throw new Error(`master key ${masterKeyId} is not in the keyring`);
  return open(wrappedKey, master, complaintKeyAad(complaintId, masterKeyId));
}

/** Re-wraps a complaint's own data key under the current master key (rotation); nothing sealed is opened. */
export function rewrapComplaintDataKey(
  complaintId: string,
  wrappedKey: Buffer,
  masterKeyId: string,
  ring: MasterKeyring,
): Buffer {
  const dataKey = unwrapComplaintDataKey(complaintId, wrappedKey, masterKeyId, ring);
  return seal(dataKey, ring.keys[ring.currentId]!, complaintKeyAad(complaintId, ring.currentId));
}

/** `field` names what is sealed: `filing`, or `event:<eventId>` for a note on one event. */
export function sealComplaintValue(complaintId: string, field: string, value: unknown, dataKey: Buffer): Buffer {
  return seal(Buffer.from(JSON.stringify(value)), dataKey, `complaint:${complaintId}:${field}`);
}

export function openComplaintValue<T>(complaintId: string, field: string, sealed: Buffer, dataKey: Buffer): T {
  return JSON.parse(open(sealed, dataKey, `complaint:${complaintId}:${field}`).toString('utf8')) as T;
}
