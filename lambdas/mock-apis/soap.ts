import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { MockRequest, MockResponse } from './http-types';

/** SOAP 1.1 AddCustomer: the legacy entry point many real CRMs still have. */
export const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const CRM_NS = 'urn:ecom-sync:crm';
export const ADD_CUSTOMER_ACTION = `${CRM_NS}#AddCustomer`;

const AddCustomerSchema = z.object({
  name: z.string().trim().min(1, 'name is required').max(512),
  email: z.email('email is not a valid address'),
});
export type AddCustomerRequest = z.infer<typeof AddCustomerSchema>;

export class SoapFault extends Error {
  constructor(
    readonly faultCode: 'soap:Client' | 'soap:Server',
    message: string,
    /** 500 for a fault while processing a SOAP message; 400 for a request that is not SOAP at all. */
    readonly status: 400 | 500 = 500,
  ) {
    super(message);
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
export function parseAddCustomer(request: MockRequest): AddCustomerRequest {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  if (!contentType.startsWith('text/xml')) {
    throw new SoapFault('soap:Client', 'SOAP 1.1 requires Content-Type text/xml', 400);
  }
  const action = request.headers['soapaction'];
  if (action === undefined)
    throw new SoapFault('soap:Client', 'SOAPAction header is required', 400);
  const actionName = action.replace(/^"|"$/g, '');
  if (actionName !== '' && !actionName.endsWith('AddCustomer')) {
    throw new SoapFault('soap:Client', `Unknown SOAPAction ${actionName}`);
  }
  const xml = request.body ?? '';
  // XMLValidator is deprecated for the separate fast-xml-validator package, which would add six
  // packages (a second XML parser among them) to check a mock's request bodies; it still ships.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the reason is the comment above
  if (xml.trim() === '' || XMLValidator.validate(xml) !== true) {
    throw new SoapFault('soap:Client', 'Body is not well-formed XML');
  }
  // SOAP 1.1 forbids a DTD in a message; refusing it also rules out entity-expansion attacks.
  if (/<!DOCTYPE/i.test(xml))
    throw new SoapFault('soap:Client', 'A SOAP message must not contain a DTD');
  let document: unknown;
  try {
    document = parser.parse(xml);
  } catch {
    throw new SoapFault('soap:Client', 'Body is not well-formed XML');
  }
  const call = z
    .object({
      Envelope: z.object({ Body: z.object({ AddCustomer: z.record(z.string(), z.unknown()) }) }),
    })
    .safeParse(document);
  if (!call.success)
    throw new SoapFault('soap:Client', 'Expected a SOAP Envelope with Body/AddCustomer');
  const fields = AddCustomerSchema.safeParse(call.data.Envelope.Body.AddCustomer);
  if (!fields.success) {
    throw new SoapFault(
      'soap:Client',
      fields.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  return fields.data;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENVELOPE_NS}" xmlns:crm="${CRM_NS}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

export function addCustomerResponse(id: string): MockResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: envelope(
      `<crm:AddCustomerResponse><crm:id>${escapeXml(id)}</crm:id></crm:AddCustomerResponse>`,
    ),
  };
}

/**
 * SOAP 1.1 (section 6.2): a fault while processing a SOAP message travels with HTTP 500, whoever
 * is to blame. A request without SOAPAction or not text/xml is no SOAP message (section 6.1.1
 * requires the header): the client's HTTP error, a 400, still with a fault body for SOAP clients.
 */
export function soapFaultResponse(fault: SoapFault): MockResponse {
  return {
    status: fault.status,
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: envelope(
      `<soap:Fault><faultcode>${fault.faultCode}</faultcode><faultstring>${escapeXml(fault.message)}</faultstring></soap:Fault>`,
    ),
  };
}

/** An AddCustomer request, as a client would send it (used by tests and the OpenAPI example). */
export function addCustomerRequestXml(name: string, email: string): string {
  return envelope(
    `<crm:AddCustomer><crm:name>${escapeXml(name)}</crm:name><crm:email>${escapeXml(email)}</crm:email></crm:AddCustomer>`,
  );
}
