"""Topic lexicons of the misuse taxonomy.

Two uses: (1) a feature of the misuse model ("this text names a harmful topic",
which generalises beyond the phrasing of any training set) and (2) routing a
misuse finding to its taxonomy category (``misuse.cyber_crime``...). Matching a
lexicon alone never flags anything: the learned model decides.
"""

from __future__ import annotations

import re

from detectors._learned_cues import PRIVATE_ASK
from detectors._learned_regex import CaselessPattern, caseless, lowered

__all__ = [
    "GROUPS",
    "MISUSE_CATEGORIES",
    "misuse_categories",
    "topic_counts",
    "topic_spans",
]

#: Topic lexicons routing a misuse finding to the policy taxonomy. Matching a
#: lexicon never raises the misuse score by itself; it is one feature of the model.
_LEXICONS: dict[str, tuple[str, ...]] = {
    "cyber_crime": (
        r"unauthori[sz]ed access|intrusions?|privilege escalation|remote (code|access) "
        r"(execution|trojans?)|shellcode|reverse shells?|infostealers?|cryptominers?",
        r"session hijack\w*|hijack\w*|man.in.the.middle|packet sniff\w*|keystrokes?",
        r"steal\w* (passwords?|credentials|cookies|data|logins?)|password (dump|crack)\w*",
        r"(evade|bypass\w*|disabl\w*) (antivirus|anti-virus|edr|firewalls?|2fa|two.factor)",
        r"command.and.control|wiretap\w*|jam\w* (a |the )?(signal|gps|wifi|radio)",
        r"swatting|vulnerabilit(y|ies)|cve-\d+|script kiddies?|scrap\w* (personal|user) data",
        r"hack\w*|malware|ransomware|virus(es)?|trojans?|keylog\w*|botnets?|phish\w*",
        r"exploit(s|ing|ed)?|ddos|denial.of.service|sql injection|backdoors?|rootkits?",
        r"spyware|stalkerware|crack\w* (a |the )?(passwords?|software|wifi|licen[cs]es?)",
        r"brute.?forc\w*|zero.?days?|credential (stuffing|harvest\w*)|cryptojack\w*",
        r"card skimm\w*|carding|spoof\w*",
    ),
    "indiscriminate_weapons": (
        r"weaponi[sz]\w*|chemical (agents?|warfare)|biological (agents?|warfare)|toxic gas",
        r"poison gas|mass casualt\w*|radiological|radioactive|enrich\w* uranium|centrifuges?",
        r"cesium|caesium|cobalt.60|polonium|ebola|plague|virulen\w*|aerosoli[sz]\w*",
        r"chemical precursors?|precursor chemicals?|nitroglycerin|gunpowder|black powder",
        r"semtex|rdx|petn|c-4",
        r"fertili[sz]er bombs?|incendiar\w*|shrapnel|warheads?|cyanide|arsenic|strychnine",
        r"lethal (dose|amount)|toxic (chemicals?|substances?)|car bombs?|suicide (vests?|bomb\w*)",
        r"(?<!flea )(?<!bath )(?<!photo)bombs?|explosives?|detonat\w*|nerve agents?|sarin|vx|tabun",
        r"anthrax|botulinum",
        r"smallpox|bioweapons?|biological weapons?|chemical weapons?",
        r"nuclear (weapon|bomb|device)s?",
        r"uranium|plutonium|dirty bombs?|pathogens?|toxins?|ricin|mustard gas|chlorine gas",
        r"phosgene|pipe bombs?|napalm|grenades?|thermite|tatp|ammonium nitrate|molotov",
        r"weapons? of mass|ieds?|gain.of.function",
        r"(enhance|increase) (the )?(transmissib|lethal)\w*",
    ),
    "violent_crimes": (
        r"maim\w*|injur(e|ing) (someone|people|him|her|them)|bloodshed|slaughter\w*",
        r"hit ?m[ae]n|contract killing|bludgeon\w*|behead\w*|suffocat\w*|smother\w*",
        r"execut\w* (him|her|them|someone|people|prisoners)|drown (someone|him|her|them)",
        r"choke (someone|him|her|them)|set (a )?fire to|rap(e|ed|es|ing|ist)|sexual assault",
        r"molest\w*|human trafficking|sex trafficking|traffick\w*|enslav\w*",
        r"sabotag\w*|derail\w*|vandali[sz]\w*|harm (someone|him|her|them|people|others|my)",
        r"break (his|her|their|someone's) (legs?|arms?|neck|bones?|jaw)|cripple",
        r"disfigur\w*|acid attacks?|radicali[sz]\w*",
        r"insurgen\w*|exterminat\w*",
        r"kill\w*|murder\w*|assault\w*|shoot\w*|stab\w*|poison\w*|kidnap\w*|tortur\w*",
        r"strangl\w*|beat (up|someone|him|her|them)|hurt (someone|people|him|her|them|my)",
        r"attack (someone|people|him|her|them|my|a person|the police)|terror\w*|massacres?",
        r"assassinat\w*|guns?|firearms?|pistols?|rifles?|ammo|ammunition|silencers?",
        r"suppressors?|zip guns?|ghost guns?|shivs?|weapon\w*|violen\w*|abduct\w*|hostages?",
        r"rob|robb\w*|snipe|disarm (a|the) (police|officer|cop|guard)\w*|knock \w+ out",
        r"butcher\w* (a )?(human|person|body)|dismember\w*|(hide|dispose of) (a|the) body",
        r"poach\w*|dog ?fight\w*|animal cruelty|mass shootings?|lynch\w*|arson|burn down",
    ),
    "non_violent_crimes": (
        r"plagiari[sz]\w*|insurance (fraud|scam)|trespass\w*|loot\w*",
        r"opioids?|oxycontin|oxycodone|xanax|adderall|narcotics?",
        r"money mules?|wire fraud|tax fraud|stolen (goods|cards?|credit cards?|cars?|data)",
        r"loan sharks?|bootleg\w*|tamper\w*|destroy\w* (the )?evidence|perjur\w*|cartels?",
        r"organi[sz]ed crime|felon\w*|contraband|unlicen[cs]ed",
        r"without paying|sneak (into|in|past)|poach\w*|forger\w*|fake (reviews?|receipts?|"
        r"invoices?|insurance)|shell compan\w*|pump and dump",
        r"steal\w*|stole|theft|fraud\w*|scam\w*|launder\w*|counterfeit\w*|smuggl\w*",
        r"shoplift\w*|embezzl\w*|evad\w* (tax|taxes|police|the law|customs)|tax evasion",
        r"falsely claim\w*|brib\w*|drugs?|cocaine|(buy|get|sell|snort) (some |a gram of )?coke",
        r"crack cocaine|heroin",
        r"meth(amphetamine)?|fentanyl|lsd|mdma|ecstasy|ketamine|bath salts|get high|illegal\w*",
        r"illicit|black market|dark ?web|blackmail\w*|extort\w*|insider trading",
        # Copyright piracy, not the seafarer or the baseball team (both in benign training text).
        r"piracy|pirated|pirating|pirate bay|pirate (\w+ ){0,2}(software|content|movies?|films?|"
        r"music|songs?|games?|copies|books?|papers?|shows?|episodes?|apps?)",
        r"forg(e|ed|ery|ing) (a |the )?(signature|documents?|checks?|cheques?|ids?|passports?)",
        r"fake (ids?|passports?|diplomas?|degrees?|documents?|prescriptions?|identit\w+)",
        r"identity theft|burglar\w*|break into (a|the|my|someone|his|her)|pick (a )?locks?",
        r"hotwir\w*|ponzi|pyramid scheme|impersonat\w*|without (a )?(licen[cs]e|prescription"
        r"|background check)",
    ),
    "self_harm": (
        r"(hurt|harm|burn\w*|injur\w*) (myself|yourself|oneself|themselves)|want to die",
        r"end it all|painless(ly)? (way|death|to die)|noose|razor blades?|laxatives",
        r"jump\w* (off|from) (a|the) (bridge|building|roof)|skip\w* meals|purging",
        r"suicid\w*|kill (myself|yourself|themselves)|end (my|your|their) (own )?li(fe|ves)",
        r"self.?harm\w*|cut(ting)? (myself|yourself)|hang (myself|yourself)|overdos\w*",
        r"anorexi\w*|bulimi\w*|eating disorders?|starv\w* (myself|yourself)|purg(e|ing)",
        r"pro.?ana|thinspo\w*|slit (my|your) wrists?",
    ),
    "hate": (
        r"supremac\w*|master race|racial (slurs?|purity)|kkk|ku klux|holocaust denial",
        r"transphob\w*|islamophob\w*|derogatory|demean\w*",
        r"humiliat\w*|offensive (jokes?|terms?|names?)|inferiority",
        r"racis\w*|hatred|hate speech|hateful|slurs?|inferior|subhuman|vermin|nazi\w*",
        r"white suprem\w*|anti.?semit\w*|n-word|bigot\w*|discriminat\w*|harass\w*|bully\w*",
        r"ethnic cleansing|genocid\w*|contempt for|xenophob\w*|homophob\w*|misogyn\w*|sexis[mt]\w*",
        r"dehumani[sz]\w*",
    ),
    "sexual_content": (
        r"horny|masturbat\w*|blowjobs?|oral sex|threesomes?|strip(per|pers|tease)|kinky|bdsm",
        r"lewd|hentai|xxx|sext\w*",
        r"sex|sexual\w*|sexy|porn\w*|erotic\w*|nudes?|nudity|naked|orgasm\w*|fetish\w*",
        r"explicit (pictures|photos|images|content|stor(y|ies)|scenes?)|nsfw|genital\w*",
        r"intercourse|onlyfans|prostitut\w*|escort service|bestiality|hookers?|sexting",
        r"adult (movies?|films?|videos?|content)",
    ),
    "child_exploitation": (
        r"child\w*|minors?|kids?|underage|teen\w*|preteens?|pedophil\w*",
        r"paedophil\w*|csam|little (girl|boy)s?|(\d+|ten|eleven|twelve|thirteen|fourteen) "
        r"(year|yr)s?.old",
    ),
    "privacy": (
        r"(home|private|personal|current|exact) address|surveil\w*|eavesdrop\w*|spyware",
        r"hidden cameras?|secret(ly)? (record|film|track|monitor)\w*|wiretap\w*",
        r"read (her|his|their) (messages|texts|emails)|tax records|religious beliefs",
        r"political (views|affiliation)|health (records|information|conditions?)",
        r"date of birth|passport numbers?|licen[cs]e plates?|facial recognition",
        r"home address(es)?|(phone|cell) numbers?|social security|ssn|dox\w*|spy on|stalk\w*",
        r"personal (information|data|details)|track (someone|my|her|his|their)|location of",
        r"medical (records|history)|mental health history|criminal (records?|history)",
        r"marital status|sexual orientation|bank (account|details)|birth certificate",
        r"(facebook|instagram|email|gmail|twitter|icloud) (login|password|account)",
        r"private (emails?|information|messages?|photos?)",
        r"without (his|her|their) (consent|knowledge)",
        PRIVATE_ASK,
    ),
    "elections": (
        r"elections?|vot(e|er|ers|ing)|ballots?|polling (station|place)s?|electoral",
        r"gerrymander\w*|ballot stuff\w*|suppress\w* (the )?(vote|votes|turnout)",
    ),
    "disinformation": (
        r"fabricat\w*|doctored|smear\w*|discredit\w*|astroturf\w*|troll farms?",
        r"sock ?puppets?|bot (networks?|accounts)|deceiv\w*|decepti\w*|never happened",
        r"pretend\w* to be (a|an|the) (doctor|official|police|"
        r"officer|bank|government)|forged|false(ly)? (claim\w*|accus\w*|report\w*)",
        r"fake news|misinformation|disinformation|propaganda|conspirac\w*|hoax\w*",
        r"false (information|claims?|stor(y|ies)|articles?|rumou?rs?)|deepfakes?|libel\w*",
        r"fake (articles?|stor(y|ies)|reviews?|tiktoks?|videos?|news|claims?|evidence|charit\w+)",
        r"mislead\w*|convinc\w* (people|readers|voters|the public)|persuasive article",
        r"defam\w*|slander\w*|rumou?rs?",
    ),
}
#: Second pass over the hazard taxonomy (MLCommons AILuminate hazard categories):
#: the acts, objects and protected attributes each category names that the first
#: lexicons left out -- harm done to a person with everyday verbs, self-harm and
#: eating-disorder behaviour, sexual body terms, theft targets, intrusion
#: tooling, claims of a group's inferiority, stock disinformation claims.
_MORE: dict[str, tuple[str, ...]] = {
    "cyber_crime": (
        r"(computer|network|self.propagating) worms?|worm (code|virus|malware)|malicious payloads?",
        r"obfuscat\w*|evad\w* (detection|analysis|analy[sz]ers|security|scanners?)",
        r"buffer overflows?|escalat\w* privileges?",
        r"(corrupt|wipe|erase|destroy|encrypt)\w* (\w+ ){0,2}(hard drives?|disks?|files|"
        r"databases?)",
        r"port scan\w*|metasploit|mimikatz|cobalt strike|ddos.for.hire|booters?|stressers?",
        r"(dump|harvest|grab|exfiltrat)\w* (\w+ ){0,2}(hashes|tokens|cookies|credentials|"
        r"passwords)",
    ),
    "indiscriminate_weapons": (
        r"biosafety|bsl.?[34]|lab leaks?|nerve gas|toxic (compounds?|agents?|fumes|gas(es)?)",
        r"synthesi[sz]\w* (\w+ ){0,3}(toxins?|poisons?|nerve agents?|explosives?|pathogens?)",
        r"homemade (explosives?|weapons?|guns?|napalm|poisons?|grenades?)",
        r"(culture|cultivate|spread|release) (\w+ ){0,2}(pathogens?|viruses)",
    ),
    "violent_crimes": (
        r"(punch|kick|slap|headbutt|stomp|shove|overpower)\w* (someone|somebody|"
        r"a (man|woman|person|child|kid|girl|boy)|him|her|them|people|my (\w+ )?(wife|husband|"
        r"girlfriend|boyfriend|partner|neighbou?r|boss|coworker|brother|sister|dad|mom|mother|"
        r"father))",
        r"set (someone|somebody|him|her|them|people|(a|an|the|his|her|their|my) "
        r"(\w+('s)? )?(person|man|woman|house|home|car|building|school|church|mosque|"
        r"synagogue|hospital|store)) on fire",
        r"blow up (a|an|the|his|her|their|my) (person|house|home|car|building|school|"
        r"church|mosque|synagogue|hospital|plane|bus|train|bridge|city)|burn (\w+ ){0,2}(alive|"
        r"to death)",
        r"run (someone|somebody|him|her|them|people) over|knock\w* (someone|him|her|them) out",
        r"drown (someone|somebody|him|her|them|a (person|child|kid|baby)|people)",
        r"electrocut\w*|decapitat\w*|mutilat\w*|castrat\w*|cannibal\w*|corpses?",
        r"human (flesh|remains|skulls?|organs?)|body parts",
        r"(cut|slit|sever|slash) (\w+ ){0,2}(throats?|wrists?|arter(y|ies)|brake lines?|brakes?)",
        r"(crack|smash|break) (\w+ ){0,2}(skulls?|ribs?|jaws?|kneecaps?)",
        r"(destroy|wipe out|obliterate|annihilate|level|raze) (a|an|the|this|entire|whole) "
        r"(\w+ )?(city|town|village|country|population|neighbou?rhood)",
        r"knives|switchblades?|machetes?|brass knuckles|tasers?|stun guns?|crossbows?|gangs?",
        r"threaten\w*|intimidat\w*|cyberbull\w*|revenge porn|recruit\w* (\w+ ){0,2}(for|into|to "
        r"join) (a |an |the )?(gang|cartel|militia|terrorist|extremist|cult)",
        r"lethal\w*|extremis\w*|jihad\w*|isis|al.?qaeda|taliban|boko haram|school shootings?",
        r"animal abuse|abus\w* (an? |my |the )?(animals?|dogs?|cats?|pets?)",
        r"domestic (violence|abuse)|abus\w* (my|his|her|a) (wife|husband|partner|girlfriend|"
        r"boyfriend|child|kid)",
    ),
    "non_violent_crimes": (
        r"pick.?pocket\w*|carjack\w*|heists?|bank vaults?|safe.?crack\w*|ransom",
        r"(disable|bypass|cut|disarm|deactivate)\w* (\w+ ){0,2}(alarms?|security (systems?|"
        r"cameras?)|cctv|surveillance cameras?|ankle monitors?)",
        r"ivory|rhino horns?|endangered (species|animals?)|wildlife trafficking",
        r"trick\w* (\w+ ){0,3}into|swindl\w*|con (artists?|men|someone|people)|gaslight\w*",
        r"manipulat\w* (someone|somebody|people|him|her|them|my|a (person|child|vulnerable))",
        r"brainwash\w*|indoctrinat\w*|steroids|miracle cures?|snake oil|quack\w*",
        r"spamm\w*|spam (operations?|campaigns?|bots?|messages)",
        r"rig\w* (the )?(lottery|game|bids?|prices?)|price.fixing|kickbacks?|insider information",
        r"codeine|shrooms|psilocybin|dmt|ghb|rohypnol|roofies?",
        r"date.rape|(buy|get|obtain)\w* (alcohol|beer|liquor|cigarettes|vapes?) (as a minor|"
        r"underage|without)|underage drinking|avoid paying (taxes|tax|for)",
    ),
    "self_harm": (
        r"(kill|harm|hurt|cut|burn|starve|poison|drown|hang|shoot|stab|suffocate|choke|"
        r"electrocute) (myself|yourself|oneself|herself|himself)",
        r"worth (me )?(being alive|living)|(don'?t|do not) want to (live|be alive|exist)",
        r"better off dead|(take|end) (my|your) (own )?li(fe|ves)|self.?injur\w*",
        r"binge (eat\w*|and purge)|(make|force|making|forcing) (myself|yourself|herself|"
        r"himself) (to )?(throw up|vomit|puke|sick)|vomit (it )?(all )?(back )?up",
        r"(get|become|be|look) (so |really |very |super |extremely )?(skinny|thin) (that|enough)",
    ),
    "hate": (
        r"(insult|belittl|ridicul|humiliat)\w* (someone|somebody|him|her|them|people|my|a|an)",
        r"second.class (citizens?|humans?)",
        r"inherently (inferior|less|worse|violent|lazy|stupid|criminal|dangerous)",
        r"(less|more) intelligent than|naturally (inferior|violent|lazy|criminal)",
        r"go back to (their|your) (own )?(country|countries)",
    ),
    "sexual_content": (
        r"penis\w*|dicks?|cocks?|boners?|erections?|vaginas?|pussy|boobs|tits|clitoris",
        r"anal sex|semen|undress\w*|topless|escorts?|sexual favou?rs|hook.?ups?",
    ),
    "privacy": (
        r"immigration status|citizenship status|whereabouts|where (he|she|they) lives?",
        r"(find|look) up (\w+ ){0,2}(address|location|phone number)|without (them|him|her) knowing",
        r"track (\w+ ){0,2}(phone|location|car|movements)|read (\w+ ){0,2}(texts|messages|emails)",
    ),
    "disinformation": (
        r"anti.?vax\w*|vaccines? (cause|causes|caused)|flat earth|chemtrails|crisis actors?",
        r"false flag|(posing|pose|pretend\w*) as (an? )?(expert|"
        r"doctor|official|journalist|scientist)|persuad\w* (readers|people|voters|the public)",
    ),
}
#: Fourth pass, from general knowledge of each harm domain: the acts and
#: tools named without the stock words of the first passes -- market
#: manipulation, academic cheating, evading the law, fake accounts and spam,
#: harm inflicted on others, sabotage of infrastructure, drug and weapon
#: slang, data harvesting, hate movements. Phrases that are everyday with
#: another object ("crash", "start a fire", "lose weight fast") are left out or
#: need a harmful object.
_WIDER: dict[str, tuple[str, ...]] = {
    "cyber_crime": (
        r"cyber.?attacks?|cyber.?crim\w*|cyber.?espionage|hacktivis\w*|social engineering",
        r"(bypass|circumvent|defeat|disabl|get around|evad|crack|break)\w* (\w+ ){0,2}"
        r"(security (measures|controls|systems?|features)|authentication|paywalls?|drm|"
        r"digital rights management|copy protection|captchas?|licen[cs]e (checks?|keys?)|"
        r"content filters?|parental controls?|access controls?|encryption)",
        r"(take|bring|knock)\w* down (\w+ ){0,2}(websites?|servers?|networks?|sites?)|"
        r"(flood|overload|overwhelm)\w* (\w+ ){0,2}(servers?|websites?|networks?)",
        r"sim.?swap\w*|password spray\w*|wardriv\w*|pretexting|zero.?click|drive.by downloads?",
        r"(guess|brute|steal|dump|sniff)\w* (\w+ ){0,2}passwords?",
        r"(hack|break|get|gain access|log)\w* (in)?to (\w+ ){0,2}(someone|somebody|other "
        r"people|\w+'s|his|her|their) (\w+ ){0,2}(accounts?|emails?|phones?|computers?|"
        r"networks?|wifi|cameras?|icloud|instagram|facebook|snapchat)",
    ),
    "indiscriminate_weapons": (
        r"emp (devices?|weapons?|bombs?)|electromagnetic pulse (weapons?|devices?)|biohazard\w*",
        r"dimethylmercury|organophosphates?|(nitrogen|sulfur) mustard|abrin|saxitoxin|"
        r"tetrodotoxin|tularemia|thermobaric|anfo|tannerite|blasting caps?|pressure.cooker bombs?",
        r"dangerous (dna|pathogens?|sequences|agents?)|select agents?|flamethrowers?",
    ),
    "violent_crimes": (
        r"(cause|inflict)\w* (\w+ ){0,2}(physical |bodily |serious |maximum |grievous |"
        r"severe )?(harm|injur(y|ies)|pain|suffering|wounds?|casualties) (to|on|upon) (\w+ ){0,2}"
        r"(others|people|someone|somebody|him|her|them|a person|victims?|animals?|civilians|"
        r"(a|the|my) (\w+ )?(dog|cat|pet|animal|child|kid|baby))",
        r"inflict\w* (\w+ ){0,2}(pain|harm|injur\w*|suffering|wounds?|casualties|damage)|"
        r"maximum (damage|casualties|harm|pain|carnage|destruction)|torture techniques",
        r"hit.and.run|drive.by shootings?|(car|vehicle|truck) ramming|ramming attacks?|"
        r"waterboard\w*|honou?r killings?",
        r"(start|set|light|cause)\w* (a |an )?(forest fire|wildfire|bush ?fire|house fire)s?|"
        r"accelerants?",
        r"incit\w* (a |an )?(riots?|violence|panic|stampedes?|unrest|insurrection|mob)|"
        r"insurrection|(start|cause|spark)\w* (a )?(riot|stampede)",
        r"(disrupt|sabotag|attack|shut\w* down|knock\w* out|cripple)\w* (\w+ ){0,3}"
        r"(transportation|transit|railways?|air traffic|power grids?|electrical grids?|water "
        r"(supply|supplies|treatment)|infrastructure|emergency services|911|pipelines?)",
        r"critical infrastructure|(cause|create|sow|wreak|spread)\w* (\w+ ){0,2}(chaos|mayhem|"
        r"havoc|unrest)",
        r"(cut|tamper\w* with|disable|loosen|sabotage)\w* (\w+ ){0,2}(brakes?|brake lines?|"
        r"airbags?|steering|emergency brakes?|seat ?belts?)",
        r"(untraceable|unregistered|unserialized|3d.printed|homemade|improvised) (\w+ )?"
        r"(guns?|firearms?|weapons?|pistols?|rifles?|suppressors?)|full.?auto|fully automatic|"
        r"auto sears?|bump stocks?|solvent traps?",
        r"(slash|puncture)\w* (\w+ ){0,2}(tires|tyres)",
        r"(deliberately|intentionally|purposely) (infect|spread|pass|transmit|expose)\w*|"
        r"(want|plan|planning|trying) to (infect|pass|spread) (\w+ ){0,2}(it|them|covid|the flu|"
        r"flu|virus|disease|rabies|chickenpox|measles|hiv|an? std)",
        r"(harm|hurt|starve|torture|poison|abuse|kick|beat|drown|maim)\w* (\w+ ){0,2}(a |the |"
        r"my |his |her |their |neighbou?r'?s? )?(dogs?|cats?|pets?|puppy|puppies|kittens?|"
        r"horses?|animals?)|hunt\w* (\w+ ){0,2}(endangered|protected)",
        r"(make|made) (a person|someone|somebody|him|her|them|people) disappear|disappear "
        r"without (a |any )?trace",
        r"(areas|parts|spots|places|points) (of|on) the (human )?body to (target|hit|stab|strike|"
        r"attack|punch)",
        r"bring down (a|an|the) (plane|aircraft|airliner|jet|helicopter)",
        r"(cause|trigger|set off)\w* (\w+ ){0,2}explosions?",
    ),
    "non_violent_crimes": (
        r"(manipulat|rig|corner)\w* (\w+ ){0,2}(stocks?|shares|stock market|markets?|stock "
        r"prices?|share prices?|financial markets?|exchange rates?|cryptocurrenc\w+|"
        r"ratings|reviews|search results)|market manipulation|front.running|wash trading",
        r"cheat\w* (on|in|at|during) (\w+ ){0,2}(exams?|tests?|quiz\w*|homework|assignments?|"
        r"taxes|tax returns?|casinos?|poker|blackjack|slot machines?)",
        r"evad\w* (\w+ ){0,2}(law enforcement|arrest|capture|authorities|the cops|airport "
        r"security|security checks?|border (patrol|control|guards)|police)|escap\w* (from )?"
        r"(\w+ ){0,2}(prison|jail|custody|correctional facilit\w+|detention)|prison breaks?",
        r"drunk driving|drink.driving|reckless driving|driving (while )?(drunk|high|intoxicated)",
        r"(send|generate|blast|automate)\w* (\w+ ){0,2}spam|spam (emails?|messages|texts|"
        r"calls|comments|bots?)|spambots?|unsolicited (messages|emails|calls|texts)",
        r"fake (\w+ ){0,2}(reviews?|accounts?|profiles?|followers|likes|personas?|identit\w+|"
        r"websites?|logins?|"
        r"login pages?|charit\w+|job (offers?|postings?)|lotter\w+|invoices?|"
        r"prescriptions?|doctor'?s notes?|medical notes?|protests?|social media accounts?)",
        r"catfish\w*|sextort\w*|romance scams?|advance.fee|tech support scams?|elder (fraud|"
        r"abuse)|check kiting|(chargeback|return|refund|benefits?|welfare|identity|mortgage|"
        r"credit card|bank|voter) fraud|synthetic identit\w+|wage theft",
        r"criminal (activit\w+|enterprises?|organi[sz]ations?|networks?|schemes?)|"
        r"(conceal|hide|cover\w* up)\w* (\w+ ){0,2}(proceeds|crimes?|criminal activit\w+|"
        r"illegal activit\w+)",
        r"(fake|false|fraudulent|forged|falsified) (\w+ ){0,2}(deductions|credentials|"
        r"transcripts|diplomas?|certificates?|references|work experiences?|resumes?|"
        r"signatures?|ids?|expenses|claims?|documents?)",
        r"(remov|fil(e|ed|ing)|scratch|obliterat|eras)\w* (\w+ ){0,2}(watermarks?|serial numbers?)",
        r"(dump|releas|discharg|pour)\w* (\w+ ){0,3}(toxic|chemical|hazardous|industrial|"
        r"untreated|radioactive|medical) (waste|chemicals|sludge|runoff)|illegal dumping",
        r"non.public information|organ trafficking|black.market (organs?|kidneys?)",
        r"(lie|lying|lied) (to|on) (\w+ ){0,2}(hiring|employers?|interviewers?|insurers?|"
        r"insurance|police|cops|irs|court|judge|customers?|investors?|resumes?|applications?|"
        r"tax returns?)",
        r"(buy|sell|score|deal|grow)\w* (some |a )?(weed|pot|marijuana|marihuana|cannabis)\b|"
        r"bongs?|nitazenes?|carfentanil|xylazine|krokodil|pcp|angel dust|"
        r"crystal meth|purple drank|whippets|(buy|obtain)\w* (\w+ ){0,2}(prescription "
        r"(drugs|pills|medications?)|pills|testosterone|hormones|opioids|painkillers) without",
    ),
    "self_harm": (
        r"(burn|cut|carve|scratch|bruise|pierce|puncture|stab)\w* (\w+ ){0,2}(my|own|your) "
        r"(\w+ )?(skin|arms?|wrists?|legs?|thighs?|stomach|body|artery|arteries|veins?)",
        r"(stop|avoid|quit)\w* (myself |yourself )?(from )?eating (for|entirely|completely|"
        r"altogether|anything)|starv\w* (myself|yourself|to death)|lethal (dose|amount)",
    ),
    "hate": (
        r"(slurs?|insults?|epithets?) (for|against|about|to use)|hate (mail|crimes?|groups?|"
        r"messages?|campaigns?|rhetoric)|(fat|body|slut)[ -]?shaming",
        r"white nationalis\w*|ethno.?states?|great replacement|replacement theory|racial "
        r"(superiority|hierarchy)|neo.?nazi\w*|alt.right",
        r"offensive (\w+ )?(responses?|comments?|remarks?|messages?|posts?|tweets?|content|"
        r"slogans?)",
    ),
    "sexual_content": (
        r"non.?consensual|upskirt\w*|voyeur\w*|creepshots?|peeping toms?|zoophil\w*",
    ),
    "privacy": (
        r"spy(ing|ies)? on|browsing history|search history|location history",
        r"(collect|harvest|scrap|sell|leak|steal)\w* (\w+ ){0,2}(personal|private|user|"
        r"customer|sensitive|confidential) (data|information|details|records)",
        r"without (the |a )?(user|users|anyone|people|person|customers?|employees?)'?s? "
        r"(consent|knowledge|permission)|without (their|his|her) permission",
    ),
    "disinformation": (
        r"(pretend|pose|posing|masquerad)\w* (to be |as )(a |an |the )?(\w+ )?(official|"
        r"doctor|police|irs|bank|government|employee|representative|agent|charity|company|"
        r"support)",
        r"inflammatory (comments?|posts?|content|messages?|rhetoric)|(bot|troll) (farms?|"
        r"armies|networks?|accounts)|false.flag|staged (protests?|events?|attacks?)",
        r"(vaccines?|vaccination|masks?|5g) (\w+ ){0,3}(cause|causes|caused|lead to|leads to) "
        r"(\w+ ){0,2}(autism|cancer|death|infertility|side effects)",
    ),
}
MISUSE_CATEGORIES: dict[str, CaselessPattern] = {
    name: caseless(
        r"\b(" + "|".join((*parts, *_MORE.get(name, ()), *_WIDER.get(name, ()))) + r")\b"
    )
    for name, parts in _LEXICONS.items()
}

#: Protected groups: naming one is no harm; together with a discrimination
#: cue it is a feature of the model and routes a finding to ``hate``.
GROUPS = caseless(
    r"\b(jews?|jewish|muslims?|islam|christians?|blacks|black (people|men|women)|african "
    r"americans?|latin(o|a|x)s?|hispanics?|asians?|arabs?|immigrants?|refugees?|roma|gypsies|"
    r"indigenous|natives?|gays?|lesbians?|homosexuals?|bisexuals?|transgender|trans (people|"
    r"women|men)|lgbt\w*|women|disabled|people of colou?r|mexicans?|hindus?|sikhs?|"
    r"buddhists?|atheists?|non.binary|asexuals?|queer|elderly|old people|homeless (people|men|"
    r"women)|people with disabilit\w+|(a |certain |specific |particular )(race|religion|"
    r"ethnicity|ethnic group|nationality|demographic|minority|caste|skin colou?r)|minorit(y|ies) "
    r"groups?|(people|someone) of (a |another |certain )?(race|religion|colou?r|ethnicity))\b",
)

#: What turns naming a group into discrimination: denying its members rights,
#: places or access, or asserting their inferiority. With a group in the text
#: it is a ``hate`` topic hit ("Why should Muslims not be given visas?").
_DISCRIM = caseless(
    r"\b((not|never|no longer) (be )?(allowed|permitted|given|admitted|hired|trusted)|"
    r"(be|been|being|get|are|is) (barred|banned|denied|excluded|kicked (off|out)|deported|"
    r"segregated|expelled|sterili[sz]ed)|(should|shouldn'?t|must|mustn'?t|ought to)( not| never)? "
    r"(have|get|hold|vote|marry|work|study|enter|own|lead|run|serve|join|access|adopt)|"
    r"(take|took|taking|strip\w*|revok\w*) (\w+ ){0,2}(away|rights?|votes?|citizenship)|"
    r"(no|fewer|less|equal) rights|(worse|weaker|dumber|lazier|stupider|inferior|less "
    r"intelligent|less capable|more violent|more criminal|less human) than|(are|is) (so|such|"
    r"naturally|inherently|genetically) (\w+ )?(worse|weaker|dumb|stupid|lazy|violent|greedy|"
    r"inferior|dangerous|criminal|dirty)|overrepresented|unwelcome|keep (\w+ ){0,2}out|"
    r"(pay|paid|earn\w*) (\w+ ){0,2}less|make (all )?(the )?(major )?decisions for|"
    r"(are|is|being) (all |just |such |so )?(greedy|lazy|stupid|dumb|criminals?|terrorists?|"
    r"thieves|rapists|parasites|animals|dirty|vermin|savages|ruining|stealing|destroying|"
    r"taking over)|(lower|higher) iqs?|(don'?t|do not|doesn'?t) deserve|(shouldn'?t|should "
    r"not|never|not) (be )?hir(e|ed|ing)|discourag\w*|(ban|expel|deport|exclude) (them|all))\b"
)

#: Objects that make a violent or hacking verb harmless ("kill a Python process",
#: "shoot a photo", "crack an egg", "shoot a goal", "break into the film industry",
#: "poison the rats in the shed": pest control):
#: matches followed by one are not topic hits.
_HOMONYM = caseless(
    r"\s+(?:(?:a|an|the|this|that|my|your|our|all|some|every)\s+)?(?:[\w.-]+\s+){0,2}?"
    r"(?:process(?:es)?|threads?|tasks?|jobs?|programs?|scripts?|quer(?:y|ies)|commands?|"
    r"photos?|pictures?|videos?|shots?|scenes?|exams?|tests?|interviews?|presentations?|eggs?|code|"
    r"problems?|records?|scores?|games?|deadlines?|balloons?|weeds?|germs|bacteria|lights?|"
    r"time|mood|vibe|nuts?|jokes?|servers?|containers?|sessions?|apps?|loops?|engines?|"
    r"oak|ivy|clothes|sweaters?|delicates|laundry|heart|mosquito(es)?|flies|ants|roaches|"
    r"the competition|vermin|pests?|rats|mice|rodents?|slugs|snails|moles|gophers|termites|"
    r"wasps|hornets|cockroach(es)?|bed ?bugs|fleas|ticks|lice|aphids|insects|bugs|goals?|"
    r"hoops|baskets|industry)\b",
)
_HOMONYM_CATS = ("violent_crimes", "cyber_crime", "indiscriminate_weapons", "non_violent_crimes")
#: Hits that name a harmful artefact, not an act: "a keylogger script", "ransomware
#: code" are the harmful thing itself, so the homonym objects
#: (script, code, program, process) do not excuse them.
_ARTEFACT = re.compile(
    r"(malware|ransomware|spyware|stalkerware|keylog\w*|trojans?|rootkits?|botnets?|backdoors?|"
    r"virus(es)?|shellcode|exploits?|infostealers?|cryptominers?)"
)


_CHILD_SEX = caseless(
    r"\b(sex\w*|nude\w*|naked|erotic\w*|porn\w*|groom\w*|molest\w*|explicit|undress\w*|penis|"
    r"dicks?|boners?|genitals?|romantic|intimate)\b"
)


#: What makes an election mention harmful: fraud, suppression, intimidation,
#: deception. "Write a news article about the election" names no harm.
_ELECTION_HARM = caseless(
    r"\b(fraud\w*|rig(s|ged|ging)?|suppress\w*|intimidat\w*|fake\w*|false\w*|mislead\w*|"
    r"disinformation|misinformation|propaganda|deter(s|red|ring|rence)?|discourag\w*|"
    r"stuff(s|ed|ing)? (\w+ )?ballot|steal\w*|stolen|hack\w*|manipulat\w*|tamper\w*|"
    r"illegal\w*|wrong (date|day|place)|brib\w*|sabotag\w*|disenfranchis\w*|"
    r"prevent\w* (\w+ ){0,2}from voting|(den(y|ied|ies|ying)|strip\w*|(take|took|taking) "
    r"away) (\w+ ){0,3}(vote|votes|voting|ballots?)|"
    r"cheat\w*|forg(e|ed|ery|ing))\b"
)


def _discrimination(text: str, low: str | None) -> list[tuple[int, int, str]]:
    """Group mentions of a text that denies a group rights or asserts its inferiority."""
    groups = [(m.start(), m.end(), "hate") for m in GROUPS.finditer(text, low)]
    if not groups or _DISCRIM.search(text, low) is None:
        return []
    return groups


def topic_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, category)`` of every lexicon hit in text order.

    Homonyms with a harmless object ("kill a Python process") are excluded, and
    ``child_exploitation`` needs a minor *and* a sexual or grooming term in the
    text: a question about a child alone names no such topic; ``elections``
    needs an election *and* a term of fraud, suppression or deception.
    """
    out: list[tuple[int, int, str]] = []
    low = lowered(text)
    child_ok = _CHILD_SEX.search(text, low) is not None
    election_ok = _ELECTION_HARM.search(text, low) is not None
    for name, rx in MISUSE_CATEGORIES.items():
        if name == "child_exploitation" and not child_ok:
            continue
        if name == "elections" and not election_ok:
            continue
        for m in rx.finditer(text, low):
            if (
                name in _HOMONYM_CATS
                and _HOMONYM.match(text, low, m.end())
                and not _ARTEFACT.fullmatch(m.group().lower())
            ):
                continue
            out.append((m.start(), m.end(), name))
    out.extend(_discrimination(text, low))
    out.sort()
    return out


def topic_counts(text: str) -> dict[str, int]:
    """Lexicon hits per category (see :func:`topic_spans`)."""
    out: dict[str, int] = {}
    for _, _, name in topic_spans(text):
        out[name] = out.get(name, 0) + 1
    return out


def misuse_categories(text: str) -> list[str]:
    """The taxonomy categories whose lexicon ``text`` matches (sorted)."""
    return sorted(topic_counts(text))
