// Package concert is the Ingenico "Concert" cash-register protocol: the
// codec of the serial E+ message of Caisse-AP V2 (Ingenico Telium) and of
// the Concert V3 / Caisse-AP ASCII TLV message (pure code: no I/O, no
// goroutines, no clocks), the link layer (Session: the ENQ/ACK handshake,
// timers, retries) and the driver (Terminal), whose own goroutine owns the
// line. The transport (serial, TCP) is in pos/transport.
//
// Sources (read, not copied):
//   - Ousret/pyTeliumManager telium/payment.py, telium/manager.py,
//     telium/constant.py (field layout of TeliumAsk / TeliumResponse, sizes
//     34 / 28 / 83, status 0 / 7 / 9, the 120 s answer wait).
//   - akretion/pypostelium pypostelium/pypostelium.py (the same E+ layout,
//     3 ENQ attempts 1 s apart, the "Telium spec" 3 s byte timeout).
//   - akretion/caisse-ap-ip caisse_ap_ip_client.py, caisse_ap_ip_server.py
//     (Caisse-AP over IP TLV, AE / AF codes, CC card types).
//   - PayXpert "Concert V3" documentation,
//     https://payxpert-docs.atlassian.net/wiki/spaces/docs/pages/841842689/Concert+V3
//     (tag dictionary, examples).
//
// Limits of the protocol, and what feepos does about them. E+ has no status
// enquiry, no end of day and no reliable "repeat last transaction" message:
// a payment whose answer does not come in time cannot be recovered by
// asking the terminal. Such payments, and every answer status the sources
// do not define, surface as pos.Unknown outcomes; the terminal's answer,
// if it comes later, is delivered as an orphan (Config.OnOrphan) and
// settles the payment (pos.Judge). One that never reaches feepos (line
// cut, feepos not running, LRC errors past the retries) leaves the payment
// for a person to review against the terminal's own journal and the
// acquirer's settlement file; nothing is guessed. docs/TERMINALS.md,
// "Concert E+", has the rules. The E+ amount has 8 digits: at most
// 99,999,999 đồng per transaction.
package concert
