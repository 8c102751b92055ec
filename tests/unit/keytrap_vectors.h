/* keytrap_vectors.h -- written by make_keytrap_vectors.py: do not edit. */
#ifndef LEVEE_TESTS_KEYTRAP_VECTORS_H
#define LEVEE_TESTS_KEYTRAP_VECTORS_H

#define KT_ORIGIN "keytrap.test."
#define KT_HOSTS 20
#define KT_TAG 24413            /* the five DNSKEYs' key tag */
#define KT_NOW 1893456000u    /* 2030-01-01 */
#define KT_INCEPTION "20200101000000"
#define KT_EXPIRATION "20371201000000"

/* The five DNSKEYs in RDATA order; the fifth signs. */
static const char *const kt_dnskey[5] = {
	"keytrap.test. 300 IN DNSKEY 256 3 13 HWK+iX5oN02ND9PNxm1v81Kte3ghx88E F6MpbNVuZsHeSK0T87dpTgtwEWheH4RK aglXlNKdYHuEw09ygEzFYA==\n",
	"keytrap.test. 300 IN DNSKEY 256 3 13 JkiiA6ka66GVYL1ALmbeTPhqUiuy3y95 gnam5/XmV98mrIS4oX3FYmMBs5BxdV0Z K57+b+DMah2wioqtfb/ViQ==\n",
	"keytrap.test. 300 IN DNSKEY 256 3 13 UggMVEjtKiuZ817kQdIWArU+Y7YHQTo4 s5YDOANo2XIEEzEzInBfMld7jT2H1ZDS VWRf7mjOfNgr3L9cW9G0yQ==\n",
	"keytrap.test. 300 IN DNSKEY 256 3 13 X6uyH7KyYVutBoeKkent/6H1YziHf1UX HTy/jPwrdV+Jf4DrpLq3KRU7AK+jgjdj CIBrHy07jYHAL3V8cDklgg==\n",
	"keytrap.test. 300 IN DNSKEY 256 3 13 h6cYj+qdEJLFR0RIURncRGs5TgB5wbQr sJe1YDFaPEIhGTwXS9b67qW+NTpEpSvx VRJUo8P2ZUFQg4AM9zxEAA==\n",
};

/* The RRSIG of the DNSKEY set of all five. */
static const char kt_dnskey_sig5[] =
	"keytrap.test. 300 IN RRSIG DNSKEY 13 2 300 20371201000000 20200101000000 24413 keytrap.test. Mb/GO5uplxU6vULGPKvahf3k+NDBfXlF aJSHgRYxZ3Bn+vcuiT/vQ7fdQUdkEZDR zhtvMWVCGsiT6WVEQnCUrw==\n";

/* The RRSIG of the DNSKEY set of kt_dnskey[0..2] and [4]. */
static const char kt_dnskey_sig4[] =
	"keytrap.test. 300 IN RRSIG DNSKEY 13 2 300 20371201000000 20200101000000 24413 keytrap.test. CY11KlGxOnH+TK784nHJNrhP/z3Hvobs Dw48T4lWflKoyhXzfPIKR3xmEyh0vSKU K4qiEvEe5+jd/Fg3zlfkwA==\n";

/* Every other RRset of the zone and its RRSIG. */
static const char kt_body[] =
	"keytrap.test. 300 IN SOA h1.keytrap.test. hostmaster.keytrap.test. 1 3600 600 86400 300\n"
	"keytrap.test. 300 IN RRSIG SOA 13 2 300 20371201000000 20200101000000 24413 keytrap.test. 6qZ53gErJ2lKnUKXWuhhYH9d/IzYJO2I PSSi0M3wFnapbHE/2J4+WUytBdnVob+i rfv+CIOU3erwRyvS9TAJiQ==\n"
	"keytrap.test. 300 IN NS h1.keytrap.test.\n"
	"keytrap.test. 300 IN RRSIG NS 13 2 300 20371201000000 20200101000000 24413 keytrap.test. rj38HxcRGhvFht/vO8cRiYWoDw+DwNCm g11wVb7D9BB5bXKk/lmEz7xZxEVxlZ2e 8c3Gp+y8k8koNHhKAGMqLw==\n"
	"keytrap.test. 300 IN NSEC h1.keytrap.test. NS SOA RRSIG NSEC DNSKEY\n"
	"keytrap.test. 300 IN RRSIG NSEC 13 2 300 20371201000000 20200101000000 24413 keytrap.test. 711WRa8j6jhJDxyhvvT4fDmpyDUocLjp igIYuVL3aPekmtVLLpvqIZYIbY1HJt4/ zzmuRWy9Yb0pP7rgC2I1Dw==\n"
	"h1.keytrap.test. 300 IN A 10.0.0.1\n"
	"h1.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. /rvv3fJlEHaeJ0Fdc8sYekmRqp18RLAw e2EYeBfLu8ItsxwHwc8y16aTXGKt50/S Qtaqkl5OFVm1TtOkZ9fP5Q==\n"
	"h1.keytrap.test. 300 IN NSEC h10.keytrap.test. A RRSIG NSEC\n"
	"h1.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. oqt3bIBs5lRJaRbp7PP7jf5YtJRZPZdc QIij7PisP9QQhhd44y/fSuQMTm2Nvj7i SksuRHi+1DiexOp4KUxG8w==\n"
	"h10.keytrap.test. 300 IN A 10.0.0.10\n"
	"h10.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. 0LhXogv+OthuR5Liq/IM29gxvOwWCgyj M2wlP84kBOk5tY6wqZ3bxB7PfjWxOfZh FKxqVcTejAHjKoDTfRv+Qg==\n"
	"h10.keytrap.test. 300 IN NSEC h11.keytrap.test. A RRSIG NSEC\n"
	"h10.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. Yd1ex8weDQJ2ZU6AXTxYF/xQS06tBfte q/+kMrThRfAPhhyttfQe5lqpyPu+NYbZ AxFz4a0pOIU9sTcAXv36sA==\n"
	"h11.keytrap.test. 300 IN A 10.0.0.11\n"
	"h11.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. eug4CcH3lEuDBvpN45YaZZ4iu+5+cj1A 7PVYYokALxweD1nY6VI4d4QPd/BMNBtb J1t6YHTp7HNPBIBDu61uMQ==\n"
	"h11.keytrap.test. 300 IN NSEC h12.keytrap.test. A RRSIG NSEC\n"
	"h11.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. jlgRD2DpXrSVdgINrKzWKUkLCr82ragt qg7ioLCLmGVHniLGqnDFFxN0czBnbpbh 7IOm5Bg2BqGbTYwFXg4NcA==\n"
	"h12.keytrap.test. 300 IN A 10.0.0.12\n"
	"h12.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. E4kYug1LHViCdB5ZAYx7JulHf65LmOcr hvr00SOMrcMnT+TcYq3mFjdm2JjL/oWV XLO/iXgpDVJ+YqfvrTbnBQ==\n"
	"h12.keytrap.test. 300 IN NSEC h13.keytrap.test. A RRSIG NSEC\n"
	"h12.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. U/dz/oOhenjfHnvpwtKB/6leK8UI44AW 4Af2d9E2+rpLOzz2p2V8pwuj5UC2RUju 6qydb2YvNPeGTmpiQ7YiyA==\n"
	"h13.keytrap.test. 300 IN A 10.0.0.13\n"
	"h13.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. V6we6sWm7xNjwAvRlpdz3rFekTVa5NYC q3KSnysw8+itRjoO6n18hRPp9Z1+vcP8 X7aPeiSjy96VYtdgiNcDnw==\n"
	"h13.keytrap.test. 300 IN NSEC h14.keytrap.test. A RRSIG NSEC\n"
	"h13.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. twTLkPiRSqoj8IREvXiAK2eWqX2hhrKo ASmZaj1KiiVTLUbCY0awJw6kyKuxXQFZ ptdR3mkQGjeM7et5JWqwPw==\n"
	"h14.keytrap.test. 300 IN A 10.0.0.14\n"
	"h14.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. ZxgeZ4EbfTPAWESLD3VvwQOIpQDd8+Cn 6zZ7HoCGlt8JCH1rE79OMolcaqP99DtI AfBwkRnzkiWWwzgpuRUl1A==\n"
	"h14.keytrap.test. 300 IN NSEC h15.keytrap.test. A RRSIG NSEC\n"
	"h14.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. 9X6n0Shrp7plGShDV498VhAPJXSC6Uig YtnYG9olp4Vus4eaCmYYFj8IBqVmN7Dj iLhXrY8DXLz6BULiOa61+w==\n"
	"h15.keytrap.test. 300 IN A 10.0.0.15\n"
	"h15.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. lASlhVQD0+7eHlEzcPxl/+Oe8iWPI/XU 1PWRgZTyCjrmpjiH2BlHfUvXVQCZKXyx fuIB3cibzA2eVfh5PhOx/Q==\n"
	"h15.keytrap.test. 300 IN NSEC h16.keytrap.test. A RRSIG NSEC\n"
	"h15.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. 6nSa7QuxyW74fvM2NATcd4KxAgXDc6RG Tcwa7etCeZ3Z4aUbPbOts8QsnwZMvDTX TuYWsfB1GnCWneEwrta4gA==\n"
	"h16.keytrap.test. 300 IN A 10.0.0.16\n"
	"h16.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. 9eEoFkwvwfQSERJcIaUfOg3O9Glo8Zn9 k8Pb0c3gKBo7CdtT/KbOquGEeks5nFgL 24D/1k8RUdiVGkvDpYJRvA==\n"
	"h16.keytrap.test. 300 IN NSEC h17.keytrap.test. A RRSIG NSEC\n"
	"h16.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. IsAceJ8UcQ52bYMQ9MT3iJOeex+pbtyt q2oC9zJeRptfva9E9EO9FCRBZqFoPZGk rlBiUsWmODT4MlU/rD0zNQ==\n"
	"h17.keytrap.test. 300 IN A 10.0.0.17\n"
	"h17.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. htYQRxT/d8BArrIXKmJHZ5mvfIqrhDSZ qC5CTHAdYNgDfycpstO7W2GnlKJ0FX0K qSMUH2RhyEgh7Qd1pPoz5w==\n"
	"h17.keytrap.test. 300 IN NSEC h18.keytrap.test. A RRSIG NSEC\n"
	"h17.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. LuMMAn//mzZXFdgV/Zu+fsKRh4R68sON fmpGU66w9Y33BUpleb0fxDqanAmwlvDT CgFAk9Ee5wKWVl5TBCG1mQ==\n"
	"h18.keytrap.test. 300 IN A 10.0.0.18\n"
	"h18.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. W8z6rySsL0S9REyO6fKmoWkb4fEnTgUW LCZib3w0E8CTrTSrqOPmWiahkykgia6s jzTKgpaEDdJ8D/g4Tc05mQ==\n"
	"h18.keytrap.test. 300 IN NSEC h19.keytrap.test. A RRSIG NSEC\n"
	"h18.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. WQ1GMcSRMpqOYksZgAjxrcZ25k0RbzOA bT5ys/znASyS+lXBKMdNxFJvOabyB4kX Q8ElU9bcfy1YDhA78QLT1Q==\n"
	"h19.keytrap.test. 300 IN A 10.0.0.19\n"
	"h19.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. p4rqSvb0mDCmhrEbB+nxH/wfrSu8mIPm z7oc79QRNELefTa/+8V7B8orlr1elWA0 zPs3NXZzEqsbRb6PTVj6Fw==\n"
	"h19.keytrap.test. 300 IN NSEC h2.keytrap.test. A RRSIG NSEC\n"
	"h19.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. kD4As/KZA2nma9lIDNGGMGxTl00iKsYM bkZvXwWv35NI4xvylNAJaA8lbH+2+IHa 9UJFLMsnUSGrmW+1obxcQA==\n"
	"h2.keytrap.test. 300 IN A 10.0.0.2\n"
	"h2.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. Y8+daR73ILuL2OquzYKdt8/q9vtB4XaE gQMsPKldIlqGQjQMpXvNt74INRilxDnR lmIr04fVAF6ziLtF+gyxOw==\n"
	"h2.keytrap.test. 300 IN NSEC h20.keytrap.test. A RRSIG NSEC\n"
	"h2.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. AqxXKnw1qlhbrwJO1u9ukSPI/1e5Zod2 YMnr9h40Kh/6yXH3ZX4pkFq8v529cViA O/jf3zwJKgWQBXAYQDyuHw==\n"
	"h20.keytrap.test. 300 IN A 10.0.0.20\n"
	"h20.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. WwSF6Ec4X09lsUWEAhatNMu+iwlirJzS hqGbV2E2om/wMqI8Upgj8WJMbrw+Ihkk /NP5yutTMgbf8dzNf5ZgXg==\n"
	"h20.keytrap.test. 300 IN NSEC h3.keytrap.test. A RRSIG NSEC\n"
	"h20.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. E430wScmSRlq/2+4kmvQj9nAXe0TVO/2 Cp3aCojKp/ER/u0r0Zp9AI6x79Q+Vtiu +nynQ782lt4S+4RrnzotAA==\n"
	"h3.keytrap.test. 300 IN A 10.0.0.3\n"
	"h3.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. QFG0s/N/4BWbCOhpen8paflcKj15OHQq clHMmdomoLMfIchSu7WLt/Xn3Y59MeEn 1tv+EbVPQ77iHVcYHY8w8g==\n"
	"h3.keytrap.test. 300 IN NSEC h4.keytrap.test. A RRSIG NSEC\n"
	"h3.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. tY+SIyNbtfOq5/qERjVGC5FDTBTzgOBW BBY8AzqXju3Q6ljVNq0RLRGx9bGXRfTV n3wytV9VPX+ekF5x8nqBog==\n"
	"h4.keytrap.test. 300 IN A 10.0.0.4\n"
	"h4.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. 1eT1W5IruHGltm61TPDOD+ccqDmrO7rD FTHCEnijjo6uVYXp2qQdWfU/Lle15NNO jg4PcNBCBi23fhhiuFMyEA==\n"
	"h4.keytrap.test. 300 IN NSEC h5.keytrap.test. A RRSIG NSEC\n"
	"h4.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. wUBY1G5+md6miIyn1PvgkvweL9vjy1rt E2INWjqLHxVqzKO4tDQo5bpRO0OmdvLl NkB13EKjf5wE0ECJ2/ZqKQ==\n"
	"h5.keytrap.test. 300 IN A 10.0.0.5\n"
	"h5.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. ZSU6YSeFQY228ViOIQj3evfxrLJa3WAO Gnv2Pl5dwN3kYqArTs283aBfSGOWVCod C3SMFCNFoNOgsf+H6vLAYA==\n"
	"h5.keytrap.test. 300 IN NSEC h6.keytrap.test. A RRSIG NSEC\n"
	"h5.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. KCgp6vU1oSaaU4U2WfStuVKjtpySQTYM Chq/1B87n/T0I538HLk5eXk2fXGs64rf 41hLT56eYR4uXEb2/seLIA==\n"
	"h6.keytrap.test. 300 IN A 10.0.0.6\n"
	"h6.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. r4N7/Ru591L8n5ZriPRA1/ZmZQcZPm0U FFe6Nm0wsOMvyp3GrkQeEhRGVucKx5Ar 7CfEyg94amaV5dJn+PvnBQ==\n"
	"h6.keytrap.test. 300 IN NSEC h7.keytrap.test. A RRSIG NSEC\n"
	"h6.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. dG9N88Alb4ClfKTTOb3yuckWT976vNa2 0SwMXuDk3IZE9G/DL8QnC+xRiZI9TVEJ qE78W7w9lGcSRQ4qzpZXvg==\n"
	"h7.keytrap.test. 300 IN A 10.0.0.7\n"
	"h7.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. YArjA1QmPOSkki9VSh4GtKXYt9lk9l/9 TGBdyY4dNZZk6t7uSUXMzdp4mbId5/YI 19Cyxo1E6FLGR8NqXhyqtg==\n"
	"h7.keytrap.test. 300 IN NSEC h8.keytrap.test. A RRSIG NSEC\n"
	"h7.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. 6VVfDx7mPM5Rcpu2YKyywludkFGDIiNl zQUl2xd8RhX4ltWDF+UJKTJmEa6DhzHl A2UHH5NCIdnFpd2BZUHSGA==\n"
	"h8.keytrap.test. 300 IN A 10.0.0.8\n"
	"h8.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. 7VM2ufN7PpCAxixUVdnQb4wO8oWtADoY B3x5akyOv10klblcEUlL54FT2/8g2NWX Uqddnob6Lqw1toLiheA6XA==\n"
	"h8.keytrap.test. 300 IN NSEC h9.keytrap.test. A RRSIG NSEC\n"
	"h8.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. RwXGYRZTDUAuzm77Pz1Av67NmLMG/jC3 2Hwf3a38/mi45sja5Xz2LsLCTfLUgddN nh5yD96dBGxBEsiSBCYpDA==\n"
	"h9.keytrap.test. 300 IN A 10.0.0.9\n"
	"h9.keytrap.test. 300 IN RRSIG A 13 3 300 20371201000000 20200101000000 24413 keytrap.test. gGrCU2hWLc5LsaDWPCu/hTn4JSgiEWTX TazGrOSoRisNYKvUAfIs/o4VCW10etHH 016SkTn0E74ASAIiMy7yBw==\n"
	"h9.keytrap.test. 300 IN NSEC keytrap.test. A RRSIG NSEC\n"
	"h9.keytrap.test. 300 IN RRSIG NSEC 13 3 300 20371201000000 20200101000000 24413 keytrap.test. MpoV11WSZwQPLGRFF3r7v3Q+T8mAQsmH ws0UUSNfOZJjZppYRgMAvEJZrNeSxaeW WxN9zjo/0QCfZX8WYrVQ7A==\n";

#endif
