package qap1

// IDString is the 32-byte identification string a server sends first:
// "Rsrv" "0103" "QAP1" "\r\n\r\n", then four 4-byte attributes. ARpt (plain
// text login required) and TLS (CMD_switch to TLS available) are set as
// asked; unused slots are "----", the last one "--\r\n". DES crypt login
// (ARuc) is never offered.
func IDString(plainLogin, tlsSwitch bool) [identificationLength]byte {
	var id [identificationLength]byte
	copy(id[:], "Rsrv0103QAP1\r\n\r\n--------------\r\n")
	slot := 16
	if plainLogin {
		copy(id[slot:], "ARpt")
		slot += 4
	}
	if tlsSwitch {
		copy(id[slot:], "TLS\n")
	}
	return id
}
