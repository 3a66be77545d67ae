// Package webhook signs and verifies Sovereign webhook deliveries, Stripe
// style: the X-Sovereign-Signature header carries a timestamp and an
// HMAC-SHA256 over "timestamp.body", so a receiver can prove who sent a
// delivery and refuse one that is old or replayed (docs/PAYMENTS.md,
// docs/adr/0044-verifiable-webhooks.md). A bank's Go back-end imports only
// this package; the node signs with it.
package webhook
