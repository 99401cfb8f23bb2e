import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { describeIssues } from '../shared/config';
import type { MockRequest, MockResponse } from './http-types';
import { MockApiError } from './http-types';

/** SOAP 1.1 AddCustomer: the legacy entry point many real CRMs still have. */
export const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const CRM_NS = 'urn:ecom-sync:crm';
export const ADD_CUSTOMER_ACTION = `${CRM_NS}#AddCustomer`;

const AddCustomerSchema = z.object({
  name: z.string().trim().min(1, 'name is required').max(512),
  email: z.email('email is not a valid address'),
});

const CallSchema = z.object({
  Envelope: z.object({ Body: z.object({ AddCustomer: z.record(z.string(), z.unknown()) }) }),
});

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

const soapResponse = (status: number, body: string): MockResponse => ({
  status,
  headers: { 'content-type': 'text/xml; charset=utf-8' },
  body: `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENVELOPE_NS}" xmlns:crm="${CRM_NS}"><soap:Body>${body}</soap:Body></soap:Envelope>`,
});

/**
 * SOAP 1.1 (section 6.2): a fault while processing a SOAP message travels with HTTP 500, whoever
 * is to blame. A request without SOAPAction or not text/xml is no SOAP message (section 6.1.1
 * requires the header): the client's HTTP error, a 400, still with a fault body for SOAP clients.
 */
export class SoapFault extends MockApiError {
  override name = 'SoapFault';
  constructor(message: string, status: 400 | 500 = 500) {
    super(status, 'soap:Client', message);
  }

  override response(): MockResponse {
    const fault = `<faultcode>${this.code}</faultcode><faultstring>${escapeXml(this.message)}</faultstring>`;
    return soapResponse(this.status, `<soap:Fault>${fault}</soap:Fault>`);
  }
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  // Only the predefined XML entities; DTDs are refused before parsing (see below).
  processEntities: true,
  htmlEntities: false,
});

/** Validates headers and XML, and extracts AddCustomer's fields; anything wrong is a SoapFault. */
export function parseAddCustomer(request: MockRequest): z.output<typeof AddCustomerSchema> {
  if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('text/xml')) {
    throw new SoapFault('SOAP 1.1 requires Content-Type text/xml', 400);
  }
  const action = request.headers.soapaction?.replace(/^"|"$/g, '');
  if (action === undefined) throw new SoapFault('SOAPAction header is required', 400);
  if (action !== '' && !action.endsWith('AddCustomer')) {
    throw new SoapFault(`Unknown SOAPAction ${action}`);
  }
  const xml = request.body ?? '';
  // XMLValidator is deprecated for the separate fast-xml-validator package, which would add six
  // packages (a second XML parser among them) to check a mock's request bodies; it still ships.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the reason is the comment above
  if (xml.trim() === '' || XMLValidator.validate(xml) !== true) {
    throw new SoapFault('Body is not well-formed XML');
  }
  // SOAP 1.1 forbids a DTD in a message; refusing it also rules out entity-expansion attacks.
  if (/<!DOCTYPE/i.test(xml)) throw new SoapFault('A SOAP message must not contain a DTD');
  let document: unknown;
  try {
    document = parser.parse(xml);
  } catch {
    throw new SoapFault('Body is not well-formed XML');
  }
  const call = CallSchema.safeParse(document);
  if (!call.success) throw new SoapFault('Expected a SOAP Envelope with Body/AddCustomer');
  const fields = AddCustomerSchema.safeParse(call.data.Envelope.Body.AddCustomer);
  if (!fields.success) throw new SoapFault(describeIssues(fields.error.issues));
  return fields.data;
}

export const addCustomerResponse = (id: string): MockResponse =>
  soapResponse(
    200,
    `<crm:AddCustomerResponse><crm:id>${escapeXml(id)}</crm:id></crm:AddCustomerResponse>`,
  );
