/**
 * A fixed self-signed certificate and its key for tests over HTTPS (Go's `internal/testcert`,
 * which `httptest.NewTLSServer` serves with): subject CN=localhost, subjectAltName
 * IP:127.0.0.1, IP:::1 and DNS:localhost, an ECDSA P-256 key, valid from 2000-01-01 to
 * 2100-01-01, and marked as a CA so that a client can trust exactly this certificate as its
 * root (`ca: TEST_CERT`). Never use it outside tests: its private key is public.
 *
 * Made with `openssl req -new` and `openssl ca -selfsign -startdate 20000101000000Z
 * -enddate 21000101000000Z` (extensions: the SANs above, basicConstraints critical CA:TRUE,
 * keyUsage digitalSignature keyCertSign, extendedKeyUsage serverAuth).
 *
 * @module
 */

/**
 * The test certificate (PEM). Trust it as a client's `ca` to talk to `HttpTest.tlsServer`.
 *
 * @since 0.1.0
 * @category testing
 */
export const TEST_CERT: string = `-----BEGIN CERTIFICATE-----
MIIB3DCCAYKgAwIBAgIBATAKBggqhkjOPQQDAjAyMRwwGgYDVQQKDBNlZmZlY3Qt
bmV0aHR0cCB0ZXN0MRIwEAYDVQQDDAlsb2NhbGhvc3QwIBcNMDAwMTAxMDAwMDAw
WhgPMjEwMDAxMDEwMDAwMDBaMDIxHDAaBgNVBAoME2VmZmVjdC1uZXRodHRwIHRl
c3QxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA
BNzwtwz5yRwAN2iOYbZfmlNwD/+3tTcuIHkrvtFQBYaJvbk77SwSfIkm7BX7HQOo
ZvIUkCzlUSWij+XWUnd+WkejgYYwgYMwLAYDVR0RBCUwI4cEfwAAAYcQAAAAAAAA
AAAAAAAAAAAAAYIJbG9jYWxob3N0MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/
BAQDAgKEMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBTDW3dsOk9vVNYu
Zy93CtXVMkr/NzAKBggqhkjOPQQDAgNIADBFAiEAurNT64VOQ0DJg+/lv5KX8GsU
uDIcJ6CLKghEp0g3U5sCIArCzIqvMaDY/FvIdVVHo0Tro6fBsL4DiCH5ETJpmw5X
-----END CERTIFICATE-----
`

/**
 * The private key of {@link TEST_CERT} (PEM, PKCS#8). Public knowledge: for tests only.
 *
 * @since 0.1.0
 * @category testing
 */
export const TEST_KEY: string = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6Susf8zqezzbkomV
BOInoUE6QN/cg3xHnTPTWt4ZW56hRANCAATc8LcM+ckcADdojmG2X5pTcA//t7U3
LiB5K77RUAWGib25O+0sEnyJJuwV+x0DqGbyFJAs5VEloo/l1lJ3flpH
-----END PRIVATE KEY-----
`
