package grant

import (
	"fmt"
	"math/big"
	"strings"
)

// Base58 with the Bitcoin alphabet: digits and letters without 0, O, I and
// l, which are easy to confuse, so that a grant survives being read aloud
// or retyped, and double-clicking selects all of it. Leading zero bytes are
// written as leading '1's; every byte string has exactly one encoding.
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// bigDigits are the digits math/big reads and writes for base 58, in order
// of value. Converting through them lets math/big do the arithmetic.
const bigDigits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"

var (
	toBig  = strings.NewReplacer(pairs(base58Alphabet, bigDigits)...)
	toBase = strings.NewReplacer(pairs(bigDigits, base58Alphabet)...)
)

func pairs(from, to string) []string {
	var p []string
	for i := range from {
		p = append(p, from[i:i+1], to[i:i+1])
	}
	return p
}

func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	s := strings.Repeat("1", zeros)
	if zeros == len(b) {
		return s
	}
	return s + toBase.Replace(new(big.Int).SetBytes(b[zeros:]).Text(58))
}

func base58Decode(s string) ([]byte, error) {
	if i := strings.IndexFunc(s, notBase58); i >= 0 {
		return nil, fmt.Errorf("character %q at %d is not base58", s[i], i)
	}
	zeros := len(s) - len(strings.TrimLeft(s, "1"))
	out := make([]byte, zeros)
	if zeros == len(s) {
		return out, nil
	}
	n, ok := new(big.Int).SetString(toBig.Replace(s[zeros:]), 58)
	if !ok {
		// Unreachable: every character was checked above.
		return nil, fmt.Errorf("%q is not base58", s)
	}
	return append(out, n.Bytes()...), nil
}

func notBase58(r rune) bool { return !strings.ContainsRune(base58Alphabet, r) }
