package qap1

// Commands (Rsrv.h).
const (
	CmdLogin             = 0x001
	CmdVoidEval          = 0x002
	CmdEval              = 0x003
	CmdShutdown          = 0x004
	CmdSwitch            = 0x005
	CmdKeyReq            = 0x006
	CmdSecLogin          = 0x007
	CmdOCcall            = 0x00f
	CmdOpenFile          = 0x010
	CmdCreateFile        = 0x011
	CmdCloseFile         = 0x012
	CmdReadFile          = 0x013
	CmdWriteFile         = 0x014
	CmdRemoveFile        = 0x015
	CmdSetSEXP           = 0x020
	CmdAssignSEXP        = 0x021
	CmdDetachSession     = 0x030
	CmdDetachedVoidEval  = 0x031
	CmdAttachSession     = 0x032
	CmdCtrl              = 0x040 // control commands are CmdCtrl | n
	CmdCtrlEval          = 0x042
	CmdCtrlShutdown      = 0x044
	CmdCtrlSource        = 0x045
	CmdSetBufferSize     = 0x081
	CmdSetEncoding       = 0x082
	CmdSpecialMask       = 0x0f0 // commands whose payload is raw, not parameters
	CmdSerEval           = 0x0f5
	CmdSerAssign         = 0x0f6
	CmdSerEEval          = 0x0f7
	CmdOCinit            = 0x434f7352
	CmdResp              = 0x10000
	RespOK               = CmdResp | 0x0001
	RespErr              = CmdResp | 0x0002
	CmdOOB               = 0x20000
	DefaultPort          = 6311
	statShift            = 24
	statMask             = 127
	maxParamsPerMessage  = 16
	identificationLength = 32
)

// IsSpecial reports whether cmd carries a raw payload (CMD_serEval,
// CMD_serAssign, CMD_serEEval) rather than a parameter list.
func IsSpecial(cmd int32) bool { return cmd&CmdSpecialMask == CmdSpecialMask }

// Error status codes of RESP_ERR answers (Rsrv.h).
const (
	ErrAuthFailed     = 0x41
	ErrConnBroken     = 0x42
	ErrInvCmd         = 0x43
	ErrInvPar         = 0x44
	ErrRerror         = 0x45
	ErrIOerror        = 0x46
	ErrNotOpen        = 0x47
	ErrAccessDenied   = 0x48
	ErrUnsupportedCmd = 0x49
	ErrUnknownCmd     = 0x4a
	ErrDataOverflow   = 0x4b
	ErrObjectTooBig   = 0x4c
	ErrOutOfMem       = 0x4d
	ErrCtrlClosed     = 0x4e
	ErrSessionBusy    = 0x50
	ErrDetachFailed   = 0x51
	ErrDisabled       = 0x61
	ErrUnavailable    = 0x62
	ErrCryptError     = 0x63
	ErrSecurityClose  = 0x64
)

// Status codes Rserve uses for evaluation failures: an R error is 127
// (-1 & 127); a parse failure is R's ParseStatus.
const (
	StatusRError          = 127
	StatusParseIncomplete = 2
	StatusParseError      = 3
	StatusParseEOF        = 4
)

// RespError is the answer word of RESP_ERR with a status code.
func RespError(status int) int32 { return RespErr | int32(status&statMask)<<statShift }

// Status extracts the status code of an answer word.
func Status(cmd int32) int { return int(cmd>>statShift) & statMask }

// Parameter (data) types.
const (
	DtInt        = 1
	DtChar       = 2
	DtDouble     = 3
	DtString     = 4
	DtBytestream = 5
	DtSexp       = 10
	DtArray      = 11
	DtCustom     = 32
	DtLarge      = 64
)

// SEXP expression types.
const (
	XtNull        = 0
	XtInt         = 1
	XtDouble      = 2
	XtStr         = 3
	XtLang        = 4
	XtSym         = 5
	XtBool        = 6
	XtS4          = 7
	XtVector      = 16
	XtList        = 17
	XtClos        = 18
	XtSymName     = 19
	XtListNoTag   = 20
	XtListTag     = 21
	XtLangNoTag   = 22
	XtLangTag     = 23
	XtVectorExp   = 26
	XtVectorStr   = 27
	XtArrayInt    = 32
	XtArrayDouble = 33
	XtArrayStr    = 34
	XtArrayBoolUA = 35
	XtArrayBool   = 36
	XtRaw         = 37
	XtArrayCplx   = 38
	XtUnknown     = 48
	XtLarge       = 64
	XtHasAttr     = 128
)

// Logical values in XT_ARRAY_BOOL.
const (
	boolFalse = 0
	boolTrue  = 1
	boolNA    = 2
)
