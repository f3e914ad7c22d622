package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
)

// roleTokens is a TokenVerifier whose tokens are their role's name.
type roleTokens struct{}

func (roleTokens) VerifyToken(_ context.Context, token string) (auth.Actor, error) {
	r, err := auth.ParseRole(token)
	if err != nil {
		return auth.Actor{}, auth.ErrBadToken
	}
	return auth.Actor{Kind: auth.KindToken, ID: "t-" + token, Role: r}, nil
}

func getAs(t *testing.T, h http.Handler, path, token string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	checkAPI(t, h).ServeHTTP(rec, req)
	return rec
}

func TestFeesAPI(t *testing.T) {
	s, db := newTestServer(t)
	s.SetTokens(roleTokens{})
	amount := int64(2000)
	c := catalogue.Catalogue{
		Procedures: []catalogue.Procedure{{Code: "CT-BS", Name: "Chứng thực bản sao", Level: catalogue.LevelDistrict}},
		Fees: []catalogue.Fee{
			{Code: "P-CTBS", Name: "Phí chứng thực bản sao từ bản chính", Kind: catalogue.KindPhi, ProcedureCode: "CT-BS", OrgCode: "UBND-DEMO",
				AgencyCode: "UBND-DEMO", UnitAmount: &amount, Unit: "trang", LegalBasis: "Thông tư 226/2016/TT-BTC", Active: true},
			{Code: "P-TD", Name: "Phí thẩm định", Kind: catalogue.KindPhi, OrgCode: "UBND-DEMO", AgencyCode: "VPDKDD-DEMO", Unit: "hồ sơ", Active: true},
			{Code: "P-OLD", Name: "Phí cũ", Kind: catalogue.KindPhi, OrgCode: "UBND-DEMO", AgencyCode: "UBND-DEMO", Active: false},
		},
	}
	_, err := db.ImportCatalogue(context.Background(), c, catalogue.ImportOptions{}, auth.System("test"))
	require.NoError(t, err)

	for _, role := range auth.Roles {
		rec := getAs(t, s, "/api/v1/fees", string(role))
		require.Equal(t, http.StatusOK, rec.Code, role)
		assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
		var got []map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		require.Len(t, got, 2, "the fees in use only")
		assert.Equal(t, map[string]any{"fee_code": "P-CTBS", "name": "Phí chứng thực bản sao từ bản chính", "kind": "phi",
			"org_code": "UBND-DEMO", "agency_code": "UBND-DEMO", "unit_amount": 2000.0, "unit": "trang",
			"legal_basis": "Thông tư 226/2016/TT-BTC", "procedure_code": "CT-BS"}, got[0])
		v, ok := got[1]["unit_amount"]
		assert.True(t, ok)
		assert.Nil(t, v, "null when the agency computes it")
	}

	rec := getAs(t, s, "/api/v1/fees", "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), `"code":"unauthorized"`)
	rec = getAs(t, s, "/api/v1/fees", "nobody")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	// An empty catalogue is an empty list, not null.
	s2, _ := newTestServer(t)
	s2.SetTokens(roleTokens{})
	rec = getAs(t, s2, "/api/v1/fees", "cashier")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "[]\n", rec.Body.String())
}

// A token the verifier knows but whose role is not in the route's list
// is refused with 403.
type onlyRole auth.Role

func (o onlyRole) VerifyToken(context.Context, string) (auth.Actor, error) {
	return auth.Actor{Kind: auth.KindToken, ID: "x", Role: auth.Role(o)}, nil
}

func TestFeesAPIForbiddenForAnUnknownRole(t *testing.T) {
	s, _ := newTestServer(t)
	s.SetTokens(onlyRole("auditor"))
	rec := getAs(t, s, "/api/v1/fees", "any")
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), `"code":"forbidden"`)
}
