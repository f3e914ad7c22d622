package receipts

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// Delivery state of the documents handed to the provider (docs/RECEIPTS.md,
// "Delivery state and the tax office's answers"). Every receipt XML,
// summary, notice and closure handed over has one row (migration 0019):
//
//	queued       recorded, not yet with the provider (a hand-over failed,
//	             or the process stopped between the record and the send)
//	handed_over  the provider has the whole document; no answer yet
//	accepted     the tax office accepted it (01/TB-TNĐT "tiếp nhận",
//	             01/TB-KTDL without error, or the provider's API said so)
//	rejected     the tax office (or the provider) refused it, with the
//	             reason; a corrected document is a new document
//
// A document's name (the file name feepos gives it) is its identity: the
// provider sees the same name on a retry, and the tax office's answer names
// it back.

// DeliveryState is where a handed-over document stands.
type DeliveryState string

const (
	DeliveryQueued     DeliveryState = "queued"
	DeliveryHandedOver DeliveryState = "handed_over"
	DeliveryAccepted   DeliveryState = "accepted"
	DeliveryRejected   DeliveryState = "rejected"
)

// Valid says whether s is one of the four states.
func (s DeliveryState) Valid() bool {
	switch s {
	case DeliveryQueued, DeliveryHandedOver, DeliveryAccepted, DeliveryRejected:
		return true
	}
	return false
}

// Final says whether s is an answer (accepted or rejected).
func (s DeliveryState) Final() bool { return s == DeliveryAccepted || s == DeliveryRejected }

// Label is the state in Vietnamese, for people.
func (s DeliveryState) Label() string {
	switch s {
	case DeliveryQueued:
		return "Chờ chuyển"
	case DeliveryHandedOver:
		return "Đã chuyển, chờ cơ quan thuế trả lời"
	case DeliveryAccepted:
		return "Cơ quan thuế đã tiếp nhận"
	case DeliveryRejected:
		return "Cơ quan thuế không tiếp nhận"
	}
	return string(s)
}

// The tax office's answers a provider passes back (Circular 91/2026/TT-BTC
// Appendix III, modelled on the e-invoice notices):
const (
	// AnswerReceipt, 01/TB-TNĐT: the document was received (accepted) or
	// not received (rejected, with the reasons).
	AnswerReceipt = "01/TB-TNĐT"
	// AnswerErrorNotice, 01/TB-SSĐT: the answer to an error notice
	// 04/SS-CTĐT: received and accepted, or not accepted with the reasons.
	AnswerErrorNotice = "01/TB-SSĐT"
	// AnswerDataCheck, 01/TB-KTDL: the result of checking the data of a
	// summary or a receipt: no error (accepted) or errors (rejected).
	AnswerDataCheck = "01/TB-KTDL"
	// AnswerProvider is the provider's own answer (its REST API, or a
	// provider-side refusal before the tax office saw the document).
	AnswerProvider = "provider"
)

// Answer is the tax office's (or the provider's) answer about one document.
//
// The inbox file shape, JSON (one object, or {"answers": [...]}) or XML:
//
//	{
//	  "form":     "01/TB-TNĐT",            mẫu số: 01/TB-TNĐT, 01/TB-SSĐT, 01/TB-KTDL
//	  "number":   "123/TB-CCT",            số thông báo of the tax office (optional)
//	  "date":     "2026-07-01",            ngày thông báo, YYYY-MM-DD (optional)
//	  "document": "01TH-BLDT_0301234567_20260701_LD.xml",  the file name feepos gave
//	  "result":   "accepted" | "rejected", tiếp nhận / không tiếp nhận
//	  "reasons":  [{"code": "…", "text": "…"}],  lý do (mã lỗi, mô tả), when rejected
//	  "tax_office_code": "…"               mã của cơ quan thuế given to the document (optional)
//	}
//
//	<TaxOfficeAnswer xmlns="urn:feepos:answer:1">
//	  <Form>01/TB-TNĐT</Form> <Number>…</Number> <Date>2026-07-01</Date>
//	  <Document>01TH-BLDT_…_LD.xml</Document> <Result>rejected</Result>
//	  <Reason code="…">…</Reason>… <TaxOfficeCode>…</TaxOfficeCode>
//	</TaxOfficeAnswer>
//
// (an XML file may hold several TaxOfficeAnswer elements under a
// <TaxOfficeAnswers> root). The provider maps the tax office's own message
// (whatever its schema) to this shape: feepos does not read the tax office's
// format, as it does not write it.
type Answer struct {
	Form          string         `json:"form"`
	Number        string         `json:"number,omitempty"`
	Date          string         `json:"date,omitempty"`
	Document      string         `json:"document"`
	Result        DeliveryState  `json:"result"`
	Reasons       []AnswerReason `json:"reasons,omitempty"`
	TaxOfficeCode string         `json:"tax_office_code,omitempty"`
}

// AnswerReason is one reason of a refusal.
type AnswerReason struct {
	Code string `json:"code,omitempty" xml:"code,attr,omitempty"`
	Text string `json:"text" xml:",chardata"`
}

// Reason joins the reasons into one line: "E01: sai mã số thuế; …".
func (a Answer) Reason() string {
	parts := make([]string, 0, len(a.Reasons))
	for _, r := range a.Reasons {
		t := strings.TrimSpace(r.Text)
		if c := strings.TrimSpace(r.Code); c != "" {
			t = c + ": " + t
		}
		if t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}

// Check refuses an answer feepos cannot act on, saying what is missing.
func (a Answer) Check() error {
	switch a.Form {
	case AnswerReceipt, AnswerErrorNotice, AnswerDataCheck, AnswerProvider:
	default:
		return Invalidf("answer: form %q: use 01/TB-TNĐT, 01/TB-SSĐT, 01/TB-KTDL or provider", a.Form)
	}
	if err := checkDropName(a.Document); err != nil {
		return Invalidf("answer %s: document %q: give the file name feepos handed over", a.Form, a.Document)
	}
	if a.Result != DeliveryAccepted && a.Result != DeliveryRejected {
		return Invalidf("answer %s for %s: result %q: use accepted or rejected", a.Form, a.Document, a.Result)
	}
	if a.Result == DeliveryRejected && a.Reason() == "" {
		return Invalidf("answer %s for %s: a refusal needs its reasons", a.Form, a.Document)
	}
	if a.Date != "" {
		if _, err := time.Parse(SummaryDateLayout, a.Date); err != nil {
			return Invalidf("answer %s for %s: date %q: write YYYY-MM-DD", a.Form, a.Document, a.Date)
		}
	}
	return nil
}

// AnswerNamespace is the namespace of the XML answer shape.
const AnswerNamespace = "urn:feepos:answer:1"

type answerXML struct {
	Form          string         `xml:"Form"`
	Number        string         `xml:"Number"`
	Date          string         `xml:"Date"`
	Document      string         `xml:"Document"`
	Result        string         `xml:"Result"`
	Reasons       []AnswerReason `xml:"Reason"`
	TaxOfficeCode string         `xml:"TaxOfficeCode"`
}

// ParseAnswers reads an inbox file: JSON (an object, an array, or
// {"answers": [...]}) or XML (TaxOfficeAnswer, or TaxOfficeAnswers holding
// several). Every answer is checked; one bad answer refuses the file, so a
// file is processed whole or not at all.
func ParseAnswers(data []byte) ([]Answer, error) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	var out []Answer
	switch {
	case len(data) == 0:
		return nil, Invalidf("answer file is empty")
	case data[0] == '{' || data[0] == '[':
		var err error
		if out, err = parseAnswersJSON(data); err != nil {
			return nil, err
		}
	case data[0] == '<':
		var err error
		if out, err = parseAnswersXML(data); err != nil {
			return nil, err
		}
	default:
		return nil, Invalidf("answer file is neither JSON nor XML")
	}
	if len(out) == 0 {
		return nil, Invalidf("answer file holds no answer")
	}
	for i := range out {
		out[i].Form = strings.TrimSpace(out[i].Form)
		out[i].Document = strings.TrimSpace(out[i].Document)
		out[i].Result = DeliveryState(strings.TrimSpace(string(out[i].Result)))
		if err := out[i].Check(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseAnswersJSON(data []byte) ([]Answer, error) {
	dec := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(data))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	if data[0] == '[' {
		var list []Answer
		if err := dec(&list); err != nil {
			return nil, Invalidf("answer file: %s", err.Error())
		}
		return list, nil
	}
	var wrap struct {
		Answers []Answer `json:"answers"`
	}
	if err := dec(&wrap); err == nil && wrap.Answers != nil {
		return wrap.Answers, nil
	}
	var one Answer
	if err := dec(&one); err != nil {
		return nil, Invalidf("answer file: %s", err.Error())
	}
	return []Answer{one}, nil
}

func parseAnswersXML(data []byte) ([]Answer, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var out []Answer
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, Invalidf("answer file: %s", err.Error())
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "TaxOfficeAnswer" {
			continue
		}
		var a answerXML
		if err := d.DecodeElement(&a, &se); err != nil {
			return nil, Invalidf("answer file: %s", err.Error())
		}
		out = append(out, Answer{Form: a.Form, Number: strings.TrimSpace(a.Number), Date: strings.TrimSpace(a.Date),
			Document: a.Document, Result: DeliveryState(a.Result), Reasons: a.Reasons, TaxOfficeCode: strings.TrimSpace(a.TaxOfficeCode)})
	}
}

// AddWorkingDays is the date n working days (Monday to Friday) after
// date (YYYY-MM-DD). Public holidays are not known to feepos: around
// them the deadline shown is earlier than the law's, never later.
func AddWorkingDays(date string, n int) (string, error) {
	d, err := time.Parse(SummaryDateLayout, date)
	if err != nil {
		return "", Invalidf("date %q: write YYYY-MM-DD", date)
	}
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d.Format(SummaryDateLayout), nil
}

// ResendWorkingDays is how long, in working days after an outage began,
// the documents it held back may still be sent (Decree 254/2026/NĐ-CP
// Art. 29.3).
const ResendWorkingDays = 3

// Delivery is one document handed (or to be handed) to the provider, and
// where it stands.
type Delivery struct {
	ID        int64   `json:"id"`
	Document  string  `json:"document"` // the file name: its identity
	Kind      DocKind `json:"kind"`
	OrgCode   string  `json:"org,omitempty"`
	Date      string  `json:"date,omitempty"` // the business date it is of
	Amendment int     `json:"amendment,omitempty"`
	// ThroughReceiptID is, for a summary, the newest receipt row it
	// covers: the next amendment lists the receipts after it.
	ThroughReceiptID int64         `json:"-"`
	ReceiptID        int64         `json:"-"` // for a receipt: its row
	SHA256           string        `json:"sha256"`
	Transport        string        `json:"transport,omitempty"` // file, http
	State            DeliveryState `json:"state"`
	Reason           string        `json:"reason,omitempty"`
	AnswerForm       string        `json:"answer_form,omitempty"`
	AnswerNumber     string        `json:"answer_number,omitempty"`
	AnswerDate       string        `json:"answer_date,omitempty"`
	TaxOfficeCode    string        `json:"tax_office_code,omitempty"`
	QueuedAt         time.Time     `json:"queued_at"`
	HandedOverAt     *time.Time    `json:"handed_over_at,omitempty"`
	AnsweredAt       *time.Time    `json:"answered_at,omitempty"`
	Attempts         int           `json:"attempts"`
	FirstFailureAt   *time.Time    `json:"first_failure_at,omitempty"`
	LastError        string        `json:"last_error,omitempty"`
}

// HandOver is what a transmitter learnt when it handed a document over:
// handed_over (the usual: the answer comes later), or already accepted or
// rejected (a provider API that answers at once), with the reason.
type HandOver struct {
	State  DeliveryState
	Reason string
	// Ref is the provider's own id for the document, when it gives one.
	Ref string
}

// Submitter is a Transmitter that can say more than "the provider has it":
// the HTTP adapter (receipts/provider) returns the provider's answer. A
// refusal is a HandOver with State rejected and a nil error; an error means
// the document may not have reached the provider (send it again).
type Submitter interface {
	Submit(ctx context.Context, kind DocKind, filename string, payload []byte) (HandOver, error)
}

// Poller asks the provider where handed-over documents stand, for a
// provider API that can say; an Answer per document it has news of.
type Poller interface {
	Poll(ctx context.Context, documents []string) ([]Answer, error)
}

// Submit hands a document to t: through Submit when t is a Submitter,
// else through Send (handed_over once Send returns nil).
func Submit(ctx context.Context, t Transmitter, kind DocKind, filename string, payload []byte) (HandOver, error) {
	if s, ok := t.(Submitter); ok {
		return s.Submit(ctx, kind, filename, payload)
	}
	if err := t.Send(ctx, kind, filename, payload); err != nil {
		return HandOver{}, err
	}
	return HandOver{State: DeliveryHandedOver}, nil
}
