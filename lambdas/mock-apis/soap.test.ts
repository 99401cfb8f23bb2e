import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { CustomerSchema } from '../shared/records';
import { ADD_CUSTOMER_ACTION } from './soap';
import { addCustomerRequestXml, pageThrough, testApi } from './test-helpers';

const soapHeaders = {
  'content-type': 'text/xml; charset=utf-8',
  soapaction: `"${ADD_CUSTOMER_ACTION}"`,
};
const xml = new XMLParser({ removeNSPrefix: true, parseTagValue: false });

function faultOf(text: string): { faultcode: string; faultstring: string } {
  return (
    xml.parse(text) as { Envelope: { Body: { Fault: { faultcode: string; faultstring: string } } } }
  ).Envelope.Body.Fault;
}

describe('POST /crm/soap AddCustomer', () => {
  it('adds a customer that the REST API then serves, answering its new id', async () => {
    const api = testApi({ customers: 5 });
    api.clock.ms += 60_000;
    const response = await api.call('POST', '/crm/soap', {
      headers: soapHeaders,
      body: addCustomerRequestXml('Radia Perlman & Co', 'radia@example.com'),
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/xml/);
    const id = (
      xml.parse(response.text) as { Envelope: { Body: { AddCustomerResponse: { id: string } } } }
    ).Envelope.Body.AddCustomerResponse.id;
    expect(id).toBe('cust-000006');

    const { items } = await pageThrough(api, '/crm/customers', {
      updatedSince: new Date(api.clock.ms).toISOString(),
    });
    expect(items).toHaveLength(1);
    const added = CustomerSchema.parse(items[0]);
    expect(added).toMatchObject({ id, name: 'Radia Perlman & Co', email: 'radia@example.com' });
    expect((await pageThrough(api, '/crm/customers')).items).toHaveLength(6);
  });

  it.each([
    ['malformed XML', soapHeaders, '<soap:Envelope><unclosed>', /well-formed/, 500],
    ['an empty body', soapHeaders, '', /well-formed/, 500],
    [
      'a missing email',
      soapHeaders,
      addCustomerRequestXml('Ada', '').replace('<crm:email></crm:email>', ''),
      /email/,
      500,
    ],
    ['an invalid email', soapHeaders, addCustomerRequestXml('Ada', 'not-an-email'), /email/, 500],
    ['a missing name', soapHeaders, addCustomerRequestXml('', 'ada@example.com'), /name/, 500],
    ['not an AddCustomer call', soapHeaders, '<a><b/></a>', /AddCustomer/, 500],
    ['a DTD', soapHeaders, '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', /DTD/, 500],
    [
      'no SOAPAction header',
      { 'content-type': 'text/xml' },
      addCustomerRequestXml('Ada', 'ada@example.com'),
      /SOAPAction/,
      400,
    ],
    [
      'a JSON content type',
      { ...soapHeaders, 'content-type': 'application/json' },
      '{}',
      /text\/xml/,
      400,
    ],
  ])(
    'answers a SOAP 1.1 Client fault for %s (400 when the request is not SOAP at all)',
    async (_case, headers, body, message, status) => {
      const api = testApi({ customers: 5 });
      const response = await api.call('POST', '/crm/soap', { headers, body });
      expect(response.status).toBe(status);
      const fault = faultOf(response.text);
      expect(fault.faultcode).toBe('soap:Client');
      expect(fault.faultstring).toMatch(message);
      expect((await pageThrough(api, '/crm/customers')).items).toHaveLength(5);
    },
  );
});
